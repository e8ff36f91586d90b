complete --keep-order --exclusive --command kcurl --arguments "(KCURL_COMPLETE=fish kcurl -- (commandline --current-process --tokenize --cut-at-cursor) (commandline --current-token))"
