"""reverb-tui: Reverb.com sales channel integrations in the terminal."""

# The one place the version is written: pyproject.toml reads it (setuptools dynamic version),
# `reverb-tui --version` prints it and every request to Reverb carries it.
__version__ = "0.1.0"

USER_AGENT = f"reverb-tui/{__version__}"
