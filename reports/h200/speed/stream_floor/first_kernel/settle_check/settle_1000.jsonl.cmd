$ w4a16SM90Bench --n 28672 --k 8192 --m 1,16 --tactics cuda_core_gemv --budget-ms 10 --settle-ms 1000
