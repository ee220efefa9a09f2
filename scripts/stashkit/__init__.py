"""stashkit: the operator CLI that renders, deploys and checks Logstash with its status sidecar.

One console command (:mod:`stashkit.cli`), one thin module per subcommand in
:mod:`stashkit.commands` (argparse, the checks argparse cannot make, calls), and its logic in
the module of the same name here:

=====================  ===================================================================
command                logic
=====================  ===================================================================
render                 ``render`` (+ ``render_kube``: the Kubernetes component), ``config``
plan, apply, destroy   ``deploy`` (``commands/_deploy`` registers all three), ``terraform``
build-push             ``build_push`` (+ ``registries``, ``docker_cli``)
discover               ``discover``
verify                 ``verify`` (+ ``verify_checks``: each platform's checks and the sidecar
                       health checkers; ``verify_samples``: ``--send-samples``)
fleet                  ``fleet``
replay                 ``replay``
=====================  ===================================================================

Shared by several commands, one place each:

* ``inventory``: where the sidecars are; :class:`~stashkit.inventory.SidecarAddress`, the walkers
  (AWS, Azure, Kubernetes) with one rule per platform, and the file_sd file form (discover,
  verify, fleet);
* ``cloud``: the client factories every command receives, the one retry layer, error wording;
* ``errors``: every error class, one hierarchy, each a one-line message and an exit code;
* ``progress``: the one progress helper (steps, and a status line); ``textui``: tables, numbers;
* ``sidecar_auth`` (the sidecar token), ``stopflag`` (SIGTERM and Ctrl-C), ``tfshim`` (the
  bundled Terraform's command).
"""

__version__ = "0.1.0"
