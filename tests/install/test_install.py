"""test_install.py BUILD_DIR SOURCE_DIR - meson install into a temporary DESTDIR,
then check what landed: every file in place, the README's example program built
against the installed library with pkg-config and run against the installed
logd, and the systemd units verified and rated by systemd-analyze."""
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "e2e"))
from harness import Fail, check, parse, wait_for  # noqa: E402

EXPECTED = ["sbin/logd", "bin/logctl", "liblogd.so.0", "liblogd.so", "include/logd.h",
            "pkgconfig/liblogd.pc", "systemd/system/logd.socket", "systemd/system/logd.service",
            "systemd/system/logd-control.socket", "systemd/system/logd-syslog.socket",
            "sysusers.d/logd.conf",
            "doc/logd/logd.conf.example", "man1/logctl.1", "man3/logd.3", "man5/logd.conf.5",
            "man7/logd-protocol.7", "man8/logd.8"]


def find(root, suffix):
    for d, _, files in os.walk(root):
        for f in files:
            p = os.path.join(d, f)
            if p.endswith("/" + suffix):
                return p
    raise Fail("not installed: %s" % suffix)


def readme_example(src):
    with open(os.path.join(src, "README.md")) as f:
        text = f.read()
    m = re.search(r"### Sending from C: liblogd\n\n```c\n(.*?)```", text, re.S)
    check(m is not None, "no C example in the README")
    return m.group(1)


def test_example_against_installed_logd(dest, work, src):
    logd, pcfile = find(dest, "sbin/logd"), find(dest, "pkgconfig/liblogd.pc")
    libdir = os.path.dirname(find(dest, "liblogd.so.0"))
    app = os.path.join(work, "app.c")
    with open(app, "w") as f:
        f.write(readme_example(src))
    env = dict(os.environ, PKG_CONFIG_PATH=os.path.dirname(pcfile),
               PKG_CONFIG_SYSROOT_DIR=dest)
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "liblogd"], env=env,
                           capture_output=True, text=True, check=True).stdout.split()
    subprocess.run(["cc", "-Wall", "-Werror", "-o", os.path.join(work, "app"), app] + flags,
                   check=True)
    sock, logs = os.path.join(work, "sock"), os.path.join(work, "logs")
    err = open(os.path.join(work, "logd.err"), "w")
    d = subprocess.Popen([logd, "--config", "/dev/null", "--socket", sock, "--log-dir", logs],
                         stderr=err)
    try:
        wait_for(lambda: os.path.exists(sock), "the installed logd's socket")
        r = subprocess.run([os.path.join(work, "app")], env=dict(
            os.environ, LOGD_SOCKET=sock, LD_LIBRARY_PATH=libdir), timeout=30)
        check(r.returncode == 0, "the example program exited %d" % r.returncode)
        path = os.path.join(logs, "myapp", "current.log")
        wait_for(lambda: os.path.exists(path) and len(open(path).readlines()) == 3,
                 "the example's three records")
    finally:
        d.terminate()
        check(d.wait(30) == 0, "the installed logd exited %s" % d.returncode)
        err.close()
    recs = [parse(x) for x in open(path).read().splitlines()]
    check([r["msg"] for r in recs] == ["started, 4 workers", "queue at 93%", "login"],
          "records: %s" % recs)
    # LOGD_INFO's caller in the line, as the README shows it (app.c:11 main()).
    check(recs[0]["file"].endswith("app.c") and recs[0]["line"] == 11 and
          recs[0]["func"] == "main" and recs[1]["file"] is None, "caller: %s" % recs[:2])


def test_units(dest):
    if shutil.which("systemd-analyze") is None:
        print("skip: systemd-analyze is not installed")
        return
    unitdir = os.path.dirname(find(dest, "systemd/system/logd.service"))
    rel = "/" + os.path.relpath(unitdir, dest)
    # The root the units will run in has kill(1) for ExecReload=.
    os.makedirs(os.path.join(dest, "bin"), exist_ok=True)
    shutil.copy("/bin/kill", os.path.join(dest, "bin", "kill"))
    r = subprocess.run(["systemd-analyze", "verify", "--root=" + dest, "--man=no",
                        "--recursive-errors=no", rel + "/logd.socket", rel + "/logd-control.socket",
                        rel + "/logd-syslog.socket", rel + "/logd.service"],
                       capture_output=True, text=True)
    check(r.returncode == 0 and r.stderr.strip() == "",
          "systemd-analyze verify: %s%s" % (r.stdout, r.stderr))
    r = subprocess.run(["systemd-analyze", "security", "--offline=true", "--root=" + dest,
                        "logd.service"], capture_output=True, text=True)
    m = re.search(r"Overall exposure level for logd.service: (\d+\.\d+)", r.stdout)
    check(m is not None, "systemd-analyze security: %s%s" % (r.stdout, r.stderr))
    print("systemd-analyze security: exposure %s" % m.group(1))
    check(float(m.group(1)) <= 2.0, "exposure %s is over 2.0" % m.group(1))
    with open(os.path.join(unitdir, "logd.service")) as f:
        exec_start = re.search(r"^ExecStart=(\S+)", f.read(), re.M).group(1)
    check(os.path.exists(dest + exec_start), "ExecStart=%s is not installed" % exec_start)
    # The unit's User=logd, made by systemd-sysusers from the installed snippet
    # (into a copy of this machine's user database), a member of adm.
    root = os.path.join(os.path.dirname(dest), "sysroot")
    os.makedirs(os.path.join(root, "etc"))
    for f in ("passwd", "group", "shadow", "gshadow"):
        if os.path.exists("/etc/" + f):
            shutil.copy("/etc/" + f, os.path.join(root, "etc", f))
    r = subprocess.run(["systemd-sysusers", "--root=" + root, find(dest, "sysusers.d/logd.conf")],
                       capture_output=True, text=True)
    check(r.returncode == 0, "systemd-sysusers: %s" % r.stderr)
    with open(os.path.join(root, "etc", "group")) as f:
        adm = [x for x in f.read().splitlines() if x.startswith("adm:")]
    check(adm and "logd" in adm[0].split(":")[3].split(","), "logd is not in adm: %s" % adm)


def main():
    build, src = sys.argv[1], sys.argv[2]
    work = tempfile.mkdtemp(prefix="logd-install-")
    dest = os.path.join(work, "dest")
    try:
        subprocess.run(["meson", "install", "-C", build, "--no-rebuild", "--quiet",
                        "--destdir", dest], check=True, stdout=subprocess.DEVNULL)
        for suffix in EXPECTED:
            find(dest, suffix)
        test_example_against_installed_logd(dest, work, src)
        test_units(dest)
        print("1 passed, 0 failed")
    except (Fail, subprocess.CalledProcessError, subprocess.TimeoutExpired) as e:
        print("FAIL: %s" % e)
        sys.exit(1)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
