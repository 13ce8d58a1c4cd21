"""stylelite: heavy GAN style-transfer models -> real-time, flicker-free video filters.

The layers are this package's folders (runtime/, models/, export/, distill/, benchmark/,
device_tests/, reports/, workflows/, cli/), each imported as `stylelite.<layer>`. Importing this
package imports nothing else.
"""

__all__: list[str] = []
