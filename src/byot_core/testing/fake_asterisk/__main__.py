"""``python -m byot_core.testing.fake_asterisk``: a fake Asterisk until interrupted."""

from byot_core.testing.fake_asterisk.cli import main

if __name__ == "__main__":
    main()
