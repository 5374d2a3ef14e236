package discord

// Zones returns the zone names offered as suggestions, for tests.
func Zones() []string { return zones }
