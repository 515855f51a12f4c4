module runtime-guard/bench/loadgen

go 1.26.0
