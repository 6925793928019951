"""``python -m sssp_print`` runs the ``sssp`` command."""

from .cli import main

if __name__ == "__main__":
    main()
