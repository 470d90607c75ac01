"""liblogd.so exports exactly the logd.h API, in version node LIBLOGD_0."""
import subprocess
import sys

API = {"logd_open", "logd_close", "logd_send", "logd_send_fields", "logd_printf", "logd_vprintf",
       "logd_sendf_at", "logd_dropped"}
out = subprocess.run(["nm", "-D", "--defined-only", sys.argv[1]], capture_output=True,
                     text=True, check=True).stdout
syms = {}
for line in out.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] != "A":
        name, _, version = parts[2].partition("@@")
        syms[name] = version
if set(syms) != API or set(syms.values()) != {"LIBLOGD_0"}:
    print("liblogd exports %s, want %s in LIBLOGD_0" % (syms, sorted(API)))
    sys.exit(1)
print("ok: liblogd exports the %d API functions only" % len(API))
