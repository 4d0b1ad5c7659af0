"""cuBLAS fp16 at M=4096, N=K=8192 for about 4 s, timed per launch with CUDA events."""
import statistics, time, torch
a = torch.randn(4096, 8192, dtype=torch.float16, device="cuda")
w = torch.randn(8192, 8192, dtype=torch.float16, device="cuda")
o = torch.empty(4096, 8192, dtype=torch.float16, device="cuda")
times = []
t_end = time.time() + 4
while time.time() < t_end:
    s, e = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
    s.record(); torch.mm(a, w.t(), out=o); e.record(); e.synchronize()
    times.append(s.elapsed_time(e) * 1000)
print(f"launches {len(times)} min_us {min(times):.1f} median_us {statistics.median(times):.1f} max_us {max(times):.1f} first5 {[round(t,1) for t in times[:5]]}")
