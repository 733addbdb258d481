"""reverb-tui: Reverb.com sales channel integrations in the terminal."""

__version__ = "0.1.0"
