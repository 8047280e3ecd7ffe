# Voila settings for `make serve-shared`: the pages served to colleagues on the network.
#
# Voila reads ./voila.json first (the settings `make app` uses too: the 64 MiB upload
# limit, idle-kernel culling, no tracebacks, images-only static files), then this file,
# whose values win. docs/security.md explains the threat model behind each line, and
# tests/test_shared_server.py + tests/browser/test_shared_server.py check them.
#
# A dict given here or on the command line REPLACES the one from voila.json (the upload
# limit lives in Voila.tornado_settings there); use `c.Voila.tornado_settings.update(...)`
# to add keys instead.

import logging
import re

c = get_config()  # noqa: F821 (provided by traitlets when it loads this file)

# -- who may open the pages -------------------------------------------------------------
# A token is required on every page and API call: `make serve-shared` passes it in the
# JUPYTER_TOKEN environment variable (never on the command line, where `ps` shows it).
# Without JUPYTER_TOKEN, Voila generates one and prints it.
c.Voila.auto_token = True
# Fail when the port is taken, instead of silently moving to another one.
c.Voila.port_retries = 0
c.Voila.open_browser = False
# The login form asks for the token only: no "set a password" form, which would let any
# token holder write a lasting password into the server's Jupyter configuration.
c.PasswordIdentityProvider.allow_password_change = False

# The server log never holds the token: tornado writes the URL of every refused request
# (`403 GET /voila/files/x.py?token=...`) as it came; these filters write `token=[secret]`.
_SECRET_IN_URL = re.compile(r"([?&][^=&\s]*(?:token|xsrf|auth|key)[^=&\s]*=)[^&\s'\")]+", re.I)


class _HideSecretsInUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # a malformed log call: leave it to logging's own handling
            return True
        hidden = _SECRET_IN_URL.sub(r"\1[secret]", message)
        if hidden != message:
            record.msg, record.args = hidden, None
        return True


for _name in ("tornado.access", "tornado.application", "tornado.general", "Voila"):
    logging.getLogger(_name).addFilter(_HideSecretsInUrls())


# The token login (tpop_kb/server_guard.py, SharedIdentityProvider): every page a
# signed-in visitor opens gets the `_xsrf` cookie its closing request needs (done in the
# identity provider, not in Voila's `prelaunch_hook`, which Voila refuses with preheated
# kernels); failed sign-ins (the form or a wrong `?token=`) are limited per client
# address (10 a minute, then 429 and a line in the log); a token shorter than 32
# characters stops the server at start-up; /logout answers a clean page.
c.Voila.identity_provider_class = "tpop_kb.server_guard.SharedIdentityProvider"
c.SharedIdentityProvider.failed_logins_allowed = 10
c.SharedIdentityProvider.failed_login_window_s = 60
# The sign-in cookie: HttpOnly (jupyter_server's default), SameSite=Lax (not sent with
# another site's forms or scripts), and valid for a working day, not 30 days. Voila 0.5
# cannot serve TLS itself and trusts no X-Forwarded-Proto header: behind a TLS reverse
# proxy add VOILA_ARGS=--IdentityProvider.secure_cookie=True, which makes the cookie
# Secure (docs/security.md, "Plain HTTP"; tests/browser/test_server_guard.py).
COOKIE_HOURS = 10
c.IdentityProvider.cookie_options = {"samesite": "Lax", "expires_days": COOKIE_HOURS / 24}
c.IdentityProvider.get_secure_cookie_kwargs = {"max_age_days": COOKIE_HOURS / 24}
c.Voila.tornado_settings.update({"xsrf_cookie_kwargs": {"samesite": "Lax"}})

# Kernels (tpop_kb/server_guard.py, GuardedKernelManager): a kernel's environment never
# holds the token (JUPYTER_TOKEN, TPOP_KB_TOKEN and any variable holding it are left out;
# QUERY_STRING and VOILA_REQUEST_URL lose their token and _xsrf); a client address holds
# 10 pages at most, and the server as many as half its memory allows at 100 MiB a page
# (-1); beyond, a clear page (429 / 503) instead of a new kernel. Behind a reverse proxy
# every visitor has the proxy's address: raise the per-visitor cap or set it to 0.
c.VoilaConfiguration.multi_kernel_manager_class = "tpop_kb.server_guard.GuardedKernelManager"
c.GuardedKernelManager.max_kernels_per_visitor = 10
c.GuardedKernelManager.max_kernels_total = -1
# 100 MiB a page: an order assistant kernel after use measured 81-85 MB PSS with 25, 50
# and 100 of them open (benchmarks/RESULTS.md, "What one machine holds"), rounded up.
# Most open pages are order assistants; the cap counts half the memory only, so the other
# half is the headroom for the few pages that grow (a bulk page holding a 64 MiB file:
# 300-400 MiB). At 400 MiB a page, 24 GiB capped the server at 30 pages, a third of what
# its memory holds; at 100 MiB it is 120 (on two cores the CPU limits before that).
c.GuardedKernelManager.kernel_budget_mib = 100

# -- preheated kernels (off unless `--preheat_kernel=True` is given) --------------------
# `make serve-shared VOILA_ARGS="--preheat_kernel=True --pool_size=N"` keeps N kernels
# with the order assistant already built, so that N staff opening it at once do not wait
# for N kernels to start. Only the order assistant is preheated (the other pages start a
# kernel on request): a preheated page must take its visitor's link when they arrive
# (tpop_kb/apps/order_assistant.py does). docs/deployment.md gives the sizes measured.
# (Voila matches these patterns against each notebook's full path.)
c.VoilaKernelManager.preheat_denylist = [r"^(?!(.*/)?order_assistant\.ipynb$)"]
# A kernel taken from the pool is replaced 2 minutes later, not 1 s (Voila's default):
# the replacements of a burst (one page build each, about 4 CPU-seconds) would otherwise
# compete for the CPU with the very pages the burst opened. benchmarks/RESULTS.md ("Many
# staff at once"): with 30 s, the refills of a 25-person burst landed inside the burst
# (kernels 129 CPU-s) and a quarter of its pages timed out; kept out of it, all 25
# succeeded (kernels 26 CPU-s). The price: a visitor beyond the pool's size within those
# 2 minutes waits for a replacement (Voila hands out the pool's next kernel, still to be
# built), so size the pool to the burst (docs/deployment.md).
c.VoilaKernelManager.fill_delay = 120

# -- what a visitor sees ----------------------------------------------------------------
c.VoilaConfiguration.show_tracebacks = False
c.VoilaConfiguration.strip_sources = True
# Pages are rendered with the configured template only (no `?template=` from the URL).
c.VoilaConfiguration.allow_template_override = "NO"
# Static files under the served folder: raster images only. SVG is left out on purpose:
# an SVG opened on its own runs its scripts with the server's origin.
c.VoilaConfiguration.file_allowlist = [r".*\.(png|jpe?g|gif)"]
c.VoilaConfiguration.file_denylist = [r"(.*/)?\..*", r".*\.(ipynb|py)"]

# The friendly part of the message shown when a page fails to build or times out (the
# error itself and its traceback stay in the server log).
_RELOAD = (
    "Rechargez la page ; si le problème continue, prévenez le responsable support. "
    "/ Reload the page; if it happens again, tell the support lead."
)
c.VoilaExecutor.cell_error_instruction = _RELOAD
c.VoilaExecutor.cell_timeout_instruction = _RELOAD

# -- limits -----------------------------------------------------------------------------
# Building a page (running its notebook cell) must finish within this many seconds.
c.VoilaExecutor.timeout = 60
# Once the cell has run, how long to wait for its output (the page's widgets) to arrive:
# nbclient's 4 s default is missed when many pages are built at once on a busy machine
# (a pool of preheated kernels filling, a burst of openings), and the page then shows
# nothing. Waiting longer costs nothing when the output comes at once.
c.VoilaExecutor.iopub_timeout = 60
# A kernel with no browser connected for 5 minutes is shut down, with the customer data
# it holds; checked every 30 s. A kernel still computing for a closed tab is shut down too
# (cull_busy); an open tab keeps its kernel (cull_connected stays False).
c.MappingKernelManager.cull_idle_timeout = 300
c.MappingKernelManager.cull_interval = 30
c.MappingKernelManager.cull_connected = False
c.MappingKernelManager.cull_busy = True
