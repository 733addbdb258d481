"""Text from strangers, as hostile as a buyer or another host can make it: the values the CLI
(tests/unit/test_hostile_text.py) and the TUI (tests/ui/test_hostile_tui.py) tests store."""

TITLE_CHANGE = "\x1b]0;pwned\x07"
CLEAR = "\x1b[2J"
HYPERLINK = "\x1b]8;;https://evil.example/\x1b\\"
BLINK = "\x1b[5m"
RLO = "\u202e"
CSI_C1 = "\x9b"

TITLE = f"{HYPERLINK}Fender{HYPERLINK} {BLINK}Strat\x1b[0m {RLO}3gp.exe [b]markup[/b]"
SKU = f"GTR-{CSI_C1}2J{BLINK}-1"
METHOD = f"{TITLE_CHANGE}shipped"
CHANNEL_NAME = f"Main {CSI_C1}2J{RLO}Shop"  # as another host's database may hold it
