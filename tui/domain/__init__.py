"""Pure rules: what each VM is, where it may go, why not, how long it may take. No I/O."""
