#!/usr/bin/env python3
"""A mock of the two LMS APIs the bridge's reconciliation poller reads, for
tests/t/poll.sh: Canvas's GET /api/v1/courses/{id}/bulk_user_progress (Bearer
token, Link rel="next" pagination) and Moodle's REST server.php with
core_enrol_get_enrolled_users and core_completion_get_course_completion_status
(wstoken in the form body, Moodle's exception JSON on a bad token).

    mock_lms_api.py DATA_FILE PORT_FILE

DATA_FILE is read again on every request, so a test changes the LMS by
rewriting it (atomically):
    {"token": "...", "per_page": 2, "fail_until": 0,
     "courses": {"101": [{"id": 8001, "name": "Ada", "email": "a@x", "done": true}, ...]}}
Until the unix time fail_until every request gets 500.  Listens on 127.0.0.1,
a free port written to PORT_FILE; counts requests by kind at GET /_stats.
Stops on SIGTERM.
"""
import json, os, signal, sys, threading, time, urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DATA, PORT_FILE = sys.argv[1], sys.argv[2]
stats = {"canvas": 0, "moodle_users": 0, "moodle_status": 0, "auth_failed": 0, "failed_500": 0}
lock = threading.Lock()


def count(k):
    with lock:
        stats[k] += 1


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def answer(self, code, obj, headers=()):
        body = json.dumps(obj).encode()
        self.send_response(code)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(body)

    def data(self):
        with open(DATA) as f:
            return json.load(f)

    def failing(self, d):
        if time.time() < d.get("fail_until", 0):
            count("failed_500")
            self.answer(500, {"error": "mock outage"})
            return True
        return False

    def do_GET(self):
        u = urllib.parse.urlparse(self.path)
        if u.path == "/_stats":
            with lock:
                return self.answer(200, dict(stats))
        d = self.data()
        parts = u.path.split("/")
        if len(parts) != 6 or parts[1:4] != ["api", "v1", "courses"] or parts[5] != "bulk_user_progress":
            return self.answer(404, {"errors": [{"message": "not found"}]})
        count("canvas")
        if self.failing(d):
            return
        if self.headers.get("Authorization") != "Bearer " + d["token"]:
            count("auth_failed")
            return self.answer(401, {"errors": [{"message": "Invalid access token."}]})
        q = urllib.parse.parse_qs(u.query)
        per = int(d.get("per_page", 100))
        page = int(q.get("page", ["1"])[0])
        users = d["courses"].get(parts[4], [])
        chunk = users[(page - 1) * per: page * per]
        headers = []
        if page * per < len(users):
            nxt = "http://127.0.0.1:%d%s?per_page=%d&page=%d" % (self.server.server_port, u.path, per, page + 1)
            headers.append(("Link", '<%s>; rel="current", <%s>; rel="next"' % (self.path, nxt)))
        self.answer(200, [{"id": x["id"], "display_name": x["name"],
                           "progress": {"requirement_count": 3, "requirement_completed_count": 3 if x["done"] else 1,
                                        "next_requirement_url": None,
                                        "completed_at": "2026-11-20T10:00:00Z" if x["done"] else None}}
                          for x in chunk], headers)

    def do_POST(self):
        u = urllib.parse.urlparse(self.path)
        n = int(self.headers.get("Content-Length", "0"))
        form = urllib.parse.parse_qs(self.rfile.read(n).decode())
        if u.path != "/webservice/rest/server.php":
            return self.answer(404, {"error": "not found"})
        d = self.data()
        fn = form.get("wsfunction", [""])[0]
        count("moodle_users" if fn == "core_enrol_get_enrolled_users" else "moodle_status")
        if self.failing(d):
            return
        if form.get("wstoken", [""])[0] != d["token"]:
            count("auth_failed")
            return self.answer(200, {"exception": "moodle_exception", "errorcode": "invalidtoken",
                                     "message": "Invalid token - token not found"})
        users = d["courses"].get(form.get("courseid", [""])[0], [])
        if fn == "core_enrol_get_enrolled_users":
            return self.answer(200, [{"id": x["id"], "fullname": x["name"], "email": x.get("email")}
                                     if x.get("email") else {"id": x["id"], "fullname": x["name"]} for x in users])
        if fn == "core_completion_get_course_completion_status":
            uid = int(form.get("userid", ["0"])[0])
            for x in users:
                if x["id"] == uid:
                    return self.answer(200, {"completionstatus": {"completed": bool(x["done"]), "aggregation": 1,
                                                                  "completions": []}, "warnings": []})
            return self.answer(200, {"exception": "required_capability_exception", "errorcode": "nopermissions",
                                     "message": "Sorry, but you do not currently have permissions"})
        return self.answer(200, {"exception": "dml_missing_record_exception", "errorcode": "invalidrecord",
                                 "message": "Can't find data record in database table external_functions."})

    def log_message(self, *args):
        pass


server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
signal.signal(signal.SIGTERM, lambda *a: threading.Thread(target=server.shutdown).start())
with open(PORT_FILE + ".tmp", "w") as f:
    f.write(str(server.server_port))
os.rename(PORT_FILE + ".tmp", PORT_FILE)
server.serve_forever()
