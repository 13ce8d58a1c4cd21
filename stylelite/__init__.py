"""stylelite: heavy GAN style-transfer models -> real-time, flicker-free video filters.

The layers live in folders at the repository root (runtime/, models/, export/, distill/,
benchmark/, device_tests/, reports/, cli/); this package links each of them under one import namespace,
`stylelite.<layer>` (see the README's Layout section). Importing it imports nothing else.
"""

__all__: list[str] = []
