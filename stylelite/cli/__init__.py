"""The `stylelite` console command: one module per verb, each a thin layer over one public function.

The roof of the layering: the only package that may import every other. `cli/main.py` names each
verb's module by string and imports only the chosen one, so `stylelite --help` and `stylelite run`
import no torch.
"""
