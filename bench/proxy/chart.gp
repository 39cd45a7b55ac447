# Grouped bars of each proxy's ratio to direct per test. Called by run.sh with
# datafile, outfile and title set via -e.
set terminal pngcairo size 1000,560 font "DejaVu Sans,11"
set output outfile
set title title
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set ylabel "ratio to direct (1.0 = no proxy cost; higher is better)"
set yrange [0:1.2<*]
set grid ytics
set key outside bottom center horizontal
set datafile missing "NaN"
set arrow from graph 0, first 1 to graph 1, first 1 nohead dt 2 lw 1.5 lc rgb "#444444"
plot datafile using 2:xtic(1) title "keep-alive req/s", \
     '' using 3 title "new conn/request req/s", \
     '' using 4 title "bulk Gbit/s", \
     '' using 5 title "p99 latency (direct/target)"
