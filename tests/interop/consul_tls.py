#!/usr/bin/python3
"""ecsboot-init talks to an https Consul agent with CONSUL_CACERT.

Makes a throwaway CA and a server certificate for 127.0.0.1 with the
openssl CLI, serves the two agent endpoints envoy-bootstrap reads over TLS
(Python's stdlib), and checks that
  - with CONSUL_CACERT the bootstrap is produced from the https agent, with
    the CA inlined for gRPC TLS;
  - without it the TLS handshake is refused and the exit is non-zero with a
    message naming the address, at the first attempt (a certificate the CA
    does not vouch for is final, never retried).
Usage: consul_tls.py PATH/TO/ecsboot-init   (exit 77 when openssl is absent)
"""
import http.server
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading

SELF = {"Config": {"Datacenter": "dc1", "NodeName": "n1"},
        "xDS": {"Port": 8503, "Ports": {"Plaintext": 8502, "TLS": 8503}}}
PROXY = {"Kind": "connect-proxy", "ID": "web-sidecar-proxy",
         "Service": "web-sidecar-proxy", "Port": 20000,
         "Proxy": {"DestinationServiceName": "web",
                   "DestinationServiceID": "web", "Config": {}},
         "Datacenter": "dc1"}


class Agent(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        path = self.path.split("?")[0]
        body = {"/v1/agent/self": SELF,
                "/v1/agent/service/web-sidecar-proxy": PROXY}.get(path)
        self.send_response(200 if body else 404)
        self.send_header("Content-Type", "application/json")
        self.end_headers()
        self.wfile.write(json.dumps(body or {}).encode())

    def log_message(self, *args):
        pass


def openssl(*args):
    subprocess.run(["openssl", *args], check=True, capture_output=True)


def main():
    init = sys.argv[1]
    if not shutil.which("openssl"):
        print("openssl CLI not installed (scripts/deps.sh --test); skipping")
        return 77
    d = tempfile.mkdtemp(prefix="ecsb-tls-")
    try:
        ca_key, ca, key, csr, crt, ext = (os.path.join(d, n) for n in (
            "ca.key", "ca.pem", "srv.key", "srv.csr", "srv.pem", "ext.cnf"))
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                ca_key, "-out", ca, "-days", "1", "-subj", "/CN=ecsboot test CA")
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                "-out", csr, "-subj", "/CN=127.0.0.1")
        with open(ext, "w") as f:
            f.write("subjectAltName=IP:127.0.0.1\n")
        openssl("x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                "-CAcreateserial", "-out", crt, "-days", "1", "-extfile", ext)
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Agent)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(crt, key)
        srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
        addr = "https://127.0.0.1:%d" % srv.server_address[1]
        env = {"PATH": "/usr/bin:/bin", "CONSUL_HTTP_ADDR": addr}
        cmd = [init, "envoy-bootstrap", "-proxy-id", "web-sidecar-proxy"]
        ok = subprocess.run(cmd, env=dict(env, CONSUL_CACERT=ca),
                            capture_output=True, text=True, timeout=60)
        bad = subprocess.run(cmd, env=env, capture_output=True, text=True,
                             timeout=60)
        srv.shutdown()
        failures = []
        if ok.returncode != 0:
            failures.append("with CONSUL_CACERT: exit %d: %s"
                            % (ok.returncode, ok.stderr))
        else:
            boot = json.loads(ok.stdout)
            if boot["node"]["id"] != "web-sidecar-proxy":
                failures.append("node.id is %r" % boot["node"]["id"])
            if open(ca).read().strip() not in ok.stdout.replace("\\n", "\n"):
                failures.append("the CA is not inlined for gRPC TLS")
        if bad.returncode == 0:
            failures.append("without CONSUL_CACERT the self-signed agent "
                            "was accepted")
        elif "127.0.0.1" not in bad.stderr:
            failures.append("TLS failure message does not name the "
                            "address: %s" % bad.stderr)
        elif "attempts" in bad.stderr:
            failures.append("a refused certificate was retried (it is "
                            "final): %s" % bad.stderr)
        for f in failures:
            print("FAIL:", f)
        print("consul_tls: %d passed, %d failed" % (2 - min(2, len(failures)),
                                                     min(2, len(failures))))
        return 1 if failures else 0
    finally:
        shutil.rmtree(d, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
