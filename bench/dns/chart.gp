# gnuplot -e "datafile='…'; outfile='…'; title='…'" chart.gp
# datafile: one line per target: name qps
set terminal pngcairo size 800,450 font ",10"
set output outfile
set title title
set style data histogram
set style fill solid 0.8 border -1
set boxwidth 0.7
set ylabel "queries per second (0 % loss)"
set yrange [0:*]
set grid ytics
unset key
plot datafile using 2:xtic(1) lc rgb "#3070b0", '' using 0:2:(sprintf("%.0f", $2)) with labels offset 0,0.8 notitle
