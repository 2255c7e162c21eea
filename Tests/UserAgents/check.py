#!/usr/bin/env python3
"""How far Clickline's device and browser classes agree with ua-parser.

Link rules classify a visitor's User-Agent with a handful of tokens, in one
pass over its bytes (ClickModel's VisitorTraits). This compares that, class
by class, with the classes derived from ua-parser (PyPI), the reference
implementation of the uap-core rules, over the corpus beside this file:
real user agents that uap-core's own tests carry (see README.md).

    check.py CLICKLINE_BINARY [--min-agreement 0.97] [--show N]

The binary's `user-agents` command classifies standard input, one agent a
line. For each class the report gives the agents the reference puts in it,
how many of those Clickline also puts there, how many Clickline puts there
that the reference does not, and the agreement: the share of agents on
which the two say the same about that class. The mobile, tablet and desktop
classes are compared only where ua-parser decides them (Apple devices and
desktop systems: it has no form factor for Android devices). Exits 1 when
a class's agreement is below the minimum.
"""
import argparse
import pathlib
import subprocess
import sys

from ua_parser import parse

DEVICES = ["ios", "android", "mobile", "tablet", "desktop", "windows", "macos", "linux", "chromeos"]
BROWSERS = ["chrome", "safari", "firefox", "edge", "samsung", "instagram", "facebook", "tiktok"]

LINUX_FAMILIES = {"Linux", "Ubuntu", "Kubuntu", "Xubuntu", "Fedora", "Debian", "Red Hat", "SUSE", "openSUSE",
                  "Gentoo", "Mandriva", "Slackware", "CentOS", "Linux Mint", "Arch Linux", "Mageia", "Manjaro"}
BROWSER_FAMILIES = {
    "Chrome": "chrome", "Chrome Mobile": "chrome", "Chrome Mobile iOS": "chrome", "Chromium": "chrome",
    "Chrome Mobile WebView": "chrome", "HeadlessChrome": "chrome",
    "Safari": "safari", "Mobile Safari": "safari",
    "Edge": "edge", "Edge Mobile": "edge",
    "Samsung Internet": "samsung",
    "Instagram": "instagram",
    "Facebook": "facebook", "Facebook Messenger": "facebook",
    "TikTok": "tiktok",
}


def reference(result):
    """The classes ua-parser's answer implies: {"devices": set, "decided": set, "browser": str or None}.
    `decided` holds the device classes the reference can judge for this agent."""
    r = result.with_defaults()
    os_family, device = r.os.family, r.device.family
    devices, decided = set(), {"ios", "android", "windows", "macos", "linux", "chromeos"}
    if os_family == "iOS":
        devices.add("ios")
    elif os_family == "Android":
        devices.add("android")
    elif os_family.startswith("Windows") and not any(w in f"{os_family} {r.os.major}" for w in ("Phone", "Mobile", "CE", "RT")):
        devices.add("windows")  # not Windows on phones and handhelds
    elif os_family in ("Mac OS X", "Mac OS"):
        devices.add("macos")
    elif os_family == "Chrome OS":
        devices.add("chromeos")
    elif os_family in LINUX_FAMILIES:
        devices.add("linux")
    # The form factor, where ua-parser tells it.
    if device in ("iPhone", "iPod"):
        devices.add("mobile")
        decided |= {"mobile", "tablet", "desktop"}
    elif device == "iPad":
        devices.add("tablet")
        decided |= {"mobile", "tablet", "desktop"}
    elif devices & {"windows", "macos", "linux", "chromeos"} and device in ("Other", "Mac"):
        devices.add("desktop")
        decided |= {"mobile", "tablet", "desktop"}
    family = r.user_agent.family
    browser = BROWSER_FAMILIES.get(family) or ("firefox" if family.startswith("Firefox") else None)
    # ua-parser calls any WebKit that says "Mobile Safari" so; the safari class is Apple's browser on Apple's systems.
    if browser == "safari" and os_family not in ("iOS", "Mac OS X", "Mac OS"):
        browser = None
    return {"devices": devices, "decided": decided, "browser": browser}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary")
    parser.add_argument("--corpus", default=str(pathlib.Path(__file__).with_name("user-agents.txt")))
    parser.add_argument("--min-agreement", type=float, default=0.97)
    parser.add_argument("--show", type=int, default=5, help="disagreements shown per class")
    args = parser.parse_args()

    agents = [line.rstrip("\n") for line in open(args.corpus, encoding="ascii") if line.strip()]
    answer = subprocess.run([args.binary, "user-agents"], input="\n".join(agents) + "\n",
                            capture_output=True, text=True, check=True).stdout.splitlines()
    if len(answer) != len(agents):
        sys.exit(f"asked about {len(agents)} agents, got {len(answer)} answers")

    rows, failed = [], []
    ours = []
    for line in answer:
        devices, browser = line.split("\t")
        ours.append({"devices": set(devices.split(",")) - {"-"}, "browser": None if browser == "-" else browser})
    refs = [reference(parse(agent)) for agent in agents]

    print(f"{len(agents)} user agents; class: reference has it / Clickline too / Clickline alone / agreement over the agents judged")
    for kind, classes in (("device", DEVICES), ("browser", BROWSERS)):
        for name in classes:
            judged = agree = in_ref = both = only_ours = 0
            misses = []
            for agent, ref, got in zip(agents, refs, ours):
                if kind == "device":
                    if name not in ref["decided"]:
                        continue
                    r, o = name in ref["devices"], name in got["devices"]
                else:
                    r, o = ref["browser"] == name, got["browser"] == name
                judged += 1
                in_ref += r
                both += r and o
                only_ours += o and not r
                if r == o:
                    agree += 1
                else:
                    misses.append(("missed" if r else "extra", agent))
            share = agree / judged if judged else 1.0
            print(f"  {kind:7} {name:9} {in_ref:5} {both:5} {only_ours:5}   {share:7.2%} of {judged}")
            for why, agent in misses[:args.show]:
                print(f"      {why}: {agent}")
            if share < args.min_agreement:
                failed.append(f"{name} {share:.2%}")
    if failed:
        sys.exit(f"below {args.min_agreement:.0%}: " + ", ".join(failed))


if __name__ == "__main__":
    main()
