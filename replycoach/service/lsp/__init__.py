"""``replycoach lsp``: a language server for phrase libraries (``pip install
"replycoach[lsp]"``).

- :mod:`.server`: the pygls server: diagnostics, code actions, settings and reloads;
- :mod:`.document`: an open file, read by the ``replycoach check`` readers and re-read only
  where an edit falls; positions in the client's units;
- :mod:`.tree`: the JSON and YAML edits that need no whole read.

Only :mod:`.server` needs pygls.
"""
