"""Lesson toys: small models a lesson trains in seconds to show one idea (not used by the CLI).

- `gan1d`: lesson 02's 1-D GAN (a generator and a discriminator of numbers, snapshots of the game).
"""
