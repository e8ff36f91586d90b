
set edit:completion:arg-completer[kcurl] = { |@words|
    var index = (count $words)
    set index = (- $index 1)

    put (env _CLAP_IFS="\n" _CLAP_COMPLETE_INDEX=(to-string $index) KCURL_COMPLETE="elvish" kcurl -- $@words) | to-lines
}

