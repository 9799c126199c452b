#!/usr/bin/env python3
# Save-to-rewritten latency of `commonthread serve`: saves one engagement N
# times and waits for its scorecard (then the portfolio) to be rewritten.
# Usage: bench/serve_latency.py RECORDS OUT BINARY [ROUNDS]
import os, subprocess, sys, time, re, statistics
records, out, binary = sys.argv[1], sys.argv[2], sys.argv[3]
rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 20
proc = subprocess.Popen([binary, "serve", records, "--out", out, "--as-of", "2026-11-16", "-q"], stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
t_start = time.time()
for line in proc.stdout:
    if line.startswith("serving http://"):
        break
print(f"initial build and start: {time.time()-t_start:.1f} s", flush=True)
clients = sorted(d for d in os.listdir(records) if os.path.isdir(os.path.join(records, d)) and not d.startswith('.'))
target_client = clients[len(clients)//2]
eng = sorted(f for f in os.listdir(os.path.join(records, target_client)) if f.endswith('.md'))[0]
path = os.path.join(records, target_client, eng)
page = os.path.join(out, target_client, eng[:-3], "scorecard.html")
portfolio = os.path.join(out, "index.html")
original = open(path).read()
times, portfolio_times = [], []
try:
    for i in range(rounds):
        before = os.stat(page).st_mtime_ns
        before_p = os.stat(portfolio).st_mtime_ns
        text = re.sub(r'^title: (.*)$', lambda m: f"title: {m.group(1).split(' (edit')[0]} (edit {i})", original, count=1, flags=re.M)
        t0 = time.perf_counter()
        with open(path, "w") as f:
            f.write(text)
        while os.stat(page).st_mtime_ns == before:
            time.sleep(0.0005)
        times.append((time.perf_counter() - t0) * 1000)
        while os.stat(portfolio).st_mtime_ns == before_p:
            time.sleep(0.0005)
        portfolio_times.append((time.perf_counter() - t0) * 1000)
        time.sleep(0.3)
finally:
    open(path, "w").write(original)
    proc.terminate()
print(f"save -> engagement's pages rewritten: median {statistics.median(times):.0f} ms, min {min(times):.0f}, max {max(times):.0f} ms over {rounds} saves")
print(f"save -> portfolio and engagements.json rewritten: median {statistics.median(portfolio_times):.0f} ms, min {min(portfolio_times):.0f}, max {max(portfolio_times):.0f} ms")
