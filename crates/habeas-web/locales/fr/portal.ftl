# The "Mes données" portal (src/ui/portal*.rs).
