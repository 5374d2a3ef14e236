package redisstore

import (
	"strings"
)

// zoneCodes is a fixed dictionary of common IANA zone names. A user's zone
// is stored twice (the user's own, and their daily reminder's), and a name
// such as "America/Sao_Paulo" costs as much as the rest of a reminder: a
// listed zone is stored as '#' and its position in base 62, one or two
// characters. Unlisted zones are stored whole, so the list only has to hold
// the common ones.
//
// APPEND ONLY: a zone's position is what is stored in Redis. Reordering,
// removing or inserting an entry would read every stored zone after it as
// another zone. TestZoneCodesAppendOnly pins the list.
var zoneCodes = []string{
	// The first 62 get one-character codes: the most common first.
	"UTC", "Asia/Kolkata", "America/New_York", "Europe/London", "Europe/Berlin",
	"America/Los_Angeles", "America/Chicago", "America/Sao_Paulo", "Europe/Paris", "Asia/Tokyo",
	"Asia/Shanghai", "Asia/Singapore", "Australia/Sydney", "Europe/Madrid", "Europe/Amsterdam",
	"America/Toronto", "America/Denver", "Asia/Dubai", "Asia/Jakarta", "Asia/Manila",
	"Asia/Karachi", "Asia/Dhaka", "Africa/Lagos", "Africa/Cairo", "Africa/Nairobi",
	"Africa/Johannesburg", "Europe/Moscow", "Europe/Istanbul", "Europe/Warsaw", "Europe/Kyiv",
	"Europe/Rome", "Europe/Stockholm", "Europe/Dublin", "Europe/Lisbon", "Europe/Zurich",
	"Europe/Vienna", "Europe/Prague", "Europe/Brussels", "Europe/Bucharest", "Europe/Athens",
	"Europe/Helsinki", "Europe/Oslo", "Europe/Copenhagen", "Asia/Seoul", "Asia/Hong_Kong",
	"Asia/Taipei", "Asia/Bangkok", "Asia/Ho_Chi_Minh", "Asia/Kuala_Lumpur", "Asia/Riyadh",
	"Asia/Tehran", "Asia/Jerusalem", "Asia/Kathmandu", "Asia/Colombo", "America/Mexico_City",
	"America/Bogota", "America/Lima", "America/Argentina/Buenos_Aires", "America/Santiago", "America/Phoenix",
	"America/Vancouver", "Pacific/Auckland",
	// Two-character codes from here on.
	"Australia/Melbourne", "Australia/Brisbane", "Australia/Perth", "Australia/Adelaide", "America/Halifax",
	"America/Anchorage", "Pacific/Honolulu", "America/Caracas", "America/Montevideo", "America/Guatemala",
	"America/Panama", "America/Havana", "America/Puerto_Rico", "America/Edmonton", "America/Winnipeg",
	"America/Regina", "America/St_Johns", "America/Detroit", "America/Indiana/Indianapolis", "America/Boise",
	"Africa/Casablanca", "Africa/Algiers", "Africa/Tunis", "Africa/Accra", "Africa/Addis_Ababa",
	"Africa/Dar_es_Salaam", "Africa/Kampala", "Africa/Kinshasa", "Africa/Abidjan", "Africa/Dakar",
	"Asia/Yangon", "Asia/Almaty", "Asia/Tashkent", "Asia/Baku", "Asia/Tbilisi",
	"Asia/Yerevan", "Asia/Baghdad", "Asia/Kuwait", "Asia/Qatar", "Asia/Muscat",
	"Asia/Amman", "Asia/Beirut", "Asia/Kabul", "Asia/Novosibirsk", "Asia/Yekaterinburg",
	"Asia/Vladivostok", "Europe/Belgrade", "Europe/Budapest", "Europe/Sofia", "Europe/Riga",
	"Europe/Vilnius", "Europe/Tallinn", "Europe/Minsk", "Europe/Luxembourg", "Atlantic/Reykjavik",
	"Etc/UTC", "Etc/GMT",
}

// zoneIndex maps a listed zone to its code.
var zoneIndex = func() map[string]string {
	m := make(map[string]string, len(zoneCodes))
	for i, z := range zoneCodes {
		m[z] = "#" + b62(int64(i))
	}
	return m
}()

// compactZone returns how a zone name is stored.
func compactZone(z string) string {
	if c, ok := zoneIndex[z]; ok {
		return c
	}
	if strings.HasPrefix(z, "#") || strings.HasPrefix(z, rawPrefix) {
		return rawPrefix + z
	}
	return z
}

// expandZone undoes compactZone.
func expandZone(s string) (string, bool) {
	if raw, ok := strings.CutPrefix(s, rawPrefix); ok {
		return raw, true
	}
	code, ok := strings.CutPrefix(s, "#")
	if !ok {
		return s, true
	}
	i, err := unb62(code)
	if err != nil || i < 0 || i >= int64(len(zoneCodes)) {
		return "", false
	}
	return zoneCodes[i], true
}
