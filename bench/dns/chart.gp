# gnuplot -e "datafile='…'; outfile='…'; title='…'" chart.gp
# datafile: one line per target: name qps colour (0xRRGGBB as a decimal integer)
set terminal pngcairo size 800,450 font ",10"
set output outfile
set title title
set style fill solid 0.8 border -1
set boxwidth 0.7
set ylabel "queries per second (0 % loss)"
set yrange [0:*]
set xrange [-0.6:*]
set grid ytics
unset key
plot datafile using 0:2:3:xtic(1) with boxes lc rgb variable, \
     '' using 0:2:(sprintf("%.0f", $2)) with labels offset 0,0.8 notitle
