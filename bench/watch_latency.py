#!/usr/bin/env python3
"""Watch latency against a real kube-apiserver: time from "PATCH sent" to "the watching tool
printed the event", for N patches of one ConfigMap. The watching tool is the command given after
`--`; it must print one JSON watch event per line (kcurl -c, curl -N, kubectl get --raw).

usage: watch_latency.py SERVER CA TOKEN NAMESPACE N -- CMD...
Prints: "median ms | p99 ms | events"."""
import http.client, json, ssl, statistics, subprocess, sys, threading, time, urllib.parse

server, ca, token, ns, n = sys.argv[1:6]
n = int(n)
cmd = sys.argv[sys.argv.index("--") + 1:]
url = urllib.parse.urlparse(server)
ctx = ssl.create_default_context(cafile=ca)
conn = http.client.HTTPSConnection(url.hostname, url.port, context=ctx)
path = f"/api/v1/namespaces/{ns}/configmaps/latency"

def patch(data):
    conn.request("PATCH", path, body=json.dumps({"data": data}),
                 headers={"Authorization": f"Bearer {token}",
                          "Content-Type": "application/merge-patch+json"})
    r = conn.getresponse(); r.read()
    assert r.status == 200, r.status

watcher = subprocess.Popen(cmd, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
lat, first = [], threading.Event()
def read():
    for line in watcher.stdout:
        now = time.time_ns()
        ev = json.loads(line)
        sent = ev["object"].get("data", {}).get("sent")
        # A watch without resourceVersion opens with an ADDED event for the object as it is:
        # its "sent" is an earlier run's, so only MODIFIED events are measured.
        if ev.get("type") == "MODIFIED" and sent and sent != "warmup":
            lat.append((now - int(sent)) / 1e6)
        first.set()
t = threading.Thread(target=read, daemon=True); t.start()
# Warm up until the watch is surely established, then measure.
while not first.wait(0.05):
    patch({"sent": "warmup", "x": str(time.time_ns())})
for _ in range(n):
    patch({"sent": str(time.time_ns())})
    time.sleep(0.01)  # pacing between writes (not synchronisation): one event at a time
deadline = time.time() + 10
while len(lat) < n and time.time() < deadline:
    time.sleep(0.01)
watcher.terminate(); watcher.wait()
lat.sort()
print(f"{statistics.median(lat):.2f} ms | {lat[max(0, int(len(lat) * 0.99) - 1)]:.2f} ms | {len(lat)}")
