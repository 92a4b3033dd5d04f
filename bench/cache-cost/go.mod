module canary-hooks/bench/cache-cost

go 1.22
