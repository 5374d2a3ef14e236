package discord

import (
	"encoding/json"
	"errors"
	"strconv"

	"github.com/bwmarrin/discordgo"
)

// An HTTP interaction is a couple of KiB of JSON (the channel, the guild,
// the member with roles and avatar…) of which the adapter needs a dozen
// fields. encoding/json reads the whole payload twice (validation, then
// decoding), and discordgo's Interaction decodes it twice more; together
// that costs from half to twice the Ed25519 check the request needs anyway
// (a command, a button press). So the
// payload is walked once here: the few fields are read and everything else
// skipped without being decoded. FuzzDecodeInteraction holds this walker
// to encoding/json's reading of the same fields; BenchmarkDecode measures
// what it saves (about a third of a command request's CPU) and says when
// it would no longer be worth keeping.

var errSyntax = errors.New("discord: malformed interaction JSON")

// decodeInteraction reads an interaction (an HTTP request's body, or a
// gateway INTERACTION_CREATE's data) into the discordgo form, with the
// fields dispatch looks at, and where it ran (install.go).
func decodeInteraction(body []byte) (*interaction, error) {
	var (
		i                              = &interaction{context: contextUnknown}
		w                              = &i.Interaction
		s                              = walker{b: body}
		data                           []byte
		memberUser, userID, messageID  string
		messageFlags                   discordgo.MessageFlags
		hasMember, hasUser, hasMessage bool
	)
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "id":
			w.ID, err = s.str()
		case "application_id":
			w.AppID, err = s.str()
		case "token":
			w.Token, err = s.str()
		case "guild_id":
			w.GuildID, err = s.str()
		case "channel_id":
			w.ChannelID, err = s.str()
		case "type":
			var n int64
			n, err = s.uint8()
			w.Type = discordgo.InteractionType(n)
		case "context":
			i.context, err = s.context()
		case "authorizing_integration_owners":
			i.owners, err = s.owners(i.owners)
		case "data":
			// The last "data" wins, as in encoding/json and discordgo.
			start := s.ws()
			data = nil
			if err = s.skip(); err == nil && string(body[start:s.i]) != "null" {
				data = body[start:s.i]
			}
		case "member":
			hasMember, err = s.optObject(func(key []byte) error {
				if string(key) != "user" {
					return s.skip()
				}
				present, err := s.optObject(func(key []byte) error {
					if string(key) != "id" {
						return s.skip()
					}
					var err error
					memberUser, err = s.str()
					return err
				})
				if !present {
					memberUser = ""
				}
				return err
			})
			if !hasMember {
				memberUser = ""
			}
		case "user":
			// Like encoding/json, a repeated object adds to the first.
			var present bool
			present, err = s.optObject(func(key []byte) error {
				if string(key) != "id" {
					return s.skip()
				}
				var err error
				userID, err = s.str()
				return err
			})
			if hasUser = present; !present {
				userID = "" // null drops what came before
			}
		case "message":
			var present bool
			present, err = s.optObject(func(key []byte) error {
				var err error
				switch string(key) {
				case "id":
					messageID, err = s.str()
				case "flags":
					var n int64
					n, err = s.int()
					messageFlags = discordgo.MessageFlags(n)
				default:
					err = s.skip()
				}
				return err
			})
			if hasMessage = present; !present {
				messageID, messageFlags = "", 0
			}
		default:
			err = s.skip()
		}
		return err
	})
	if err == nil && s.ws() != len(body) {
		err = errSyntax // something after the object
	}
	if err != nil {
		return nil, err
	}
	if w.ID == "" || w.Type == 0 {
		return nil, errors.New("discord: interaction without id or type")
	}
	if hasMember {
		w.Member = &discordgo.Member{}
		if memberUser != "" {
			w.Member.User = &discordgo.User{ID: memberUser}
		}
	}
	if hasUser {
		w.User = &discordgo.User{ID: userID}
	}
	if hasMessage {
		w.Message = &discordgo.Message{ID: messageID, Flags: messageFlags}
	}
	if data != nil {
		d := walker{b: data}
		var err error
		switch w.Type {
		case discordgo.InteractionApplicationCommand, discordgo.InteractionApplicationCommandAutocomplete:
			w.Data, err = d.commandData()
		case discordgo.InteractionMessageComponent:
			w.Data, err = d.componentData()
		}
		if err != nil {
			return nil, err
		}
	}
	return i, nil
}

// context reads an interaction context type (or null, as unknown).
func (s *walker) context() (place, error) {
	if s.null() {
		return contextUnknown, nil
	}
	n, err := s.uint8()
	return place(n), err
}

// owners reads authorizing_integration_owners into the set so far: like
// encoding/json reading into a map, a repeated object adds to the first,
// a repeated key's last value wins and null drops everything. Only which
// installations are named matters, so the ids are skipped, not copied.
func (s *walker) owners(set owners) (owners, error) {
	if s.null() {
		return 0, nil
	}
	err := s.object(func(key []byte) error {
		var bit owners
		switch string(key) {
		case "0":
			bit = ownerGuild
		case "1":
			bit = ownerUser
		default:
			return s.skip()
		}
		if s.null() {
			set &^= bit
			return nil
		}
		if s.ws() >= len(s.b) || s.b[s.i] != '"' {
			return errSyntax
		}
		if _, err := s.skipString(); err != nil {
			return err
		}
		set |= bit
		return nil
	})
	return set, err
}

// commandData reads an application command's data: its name and options
// ("resolved" users and channels are not used, so not read).
func (s *walker) commandData() (discordgo.ApplicationCommandInteractionData, error) {
	var d discordgo.ApplicationCommandInteractionData
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "id":
			d.ID, err = s.str()
		case "name":
			d.Name, err = s.str()
		case "target_id":
			d.TargetID, err = s.str()
		case "type":
			var n int64
			n, err = s.uint8()
			d.CommandType = discordgo.ApplicationCommandType(n)
		case "options":
			d.Options, err = s.options()
		default:
			err = s.skip()
		}
		return err
	})
	return d, err
}

// options reads a list of command options (or null), subcommands nested.
func (s *walker) options() ([]*discordgo.ApplicationCommandInteractionDataOption, error) {
	if s.null() {
		return nil, nil
	}
	opts := []*discordgo.ApplicationCommandInteractionDataOption{}
	err := s.array(func() error {
		o := &discordgo.ApplicationCommandInteractionDataOption{}
		opts = append(opts, o)
		return s.object(func(key []byte) error {
			var err error
			switch string(key) {
			case "name":
				o.Name, err = s.str()
			case "type":
				var n int64
				n, err = s.uint8()
				o.Type = discordgo.ApplicationCommandOptionType(n)
			case "value":
				o.Value, err = s.value()
			case "focused":
				o.Focused, err = s.bool()
			case "options":
				o.Options, err = s.options()
			default:
				err = s.skip()
			}
			return err
		})
	})
	return opts, err
}

// componentData reads a button press's or a select menu's data.
func (s *walker) componentData() (discordgo.MessageComponentInteractionData, error) {
	var d discordgo.MessageComponentInteractionData
	err := s.object(func(key []byte) error {
		var err error
		switch string(key) {
		case "custom_id":
			d.CustomID, err = s.str()
		case "component_type":
			var n int64
			n, err = s.uint8()
			d.ComponentType = discordgo.ComponentType(n)
		case "values": // a select menu's chosen values
			d.Values = nil
			if s.null() {
				return nil
			}
			err = s.array(func() error {
				v, err := s.str()
				d.Values = append(d.Values, v)
				return err
			})
		default:
			err = s.skip()
		}
		return err
	})
	return d, err
}

// walker reads JSON from b, at i.
type walker struct {
	b []byte
	i int
}

// ws skips white space and returns the position of the next byte.
func (s *walker) ws() int {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return s.i
		}
	}
	return s.i
}

// object reads an object, calling field for each key with the walker at
// the value, which field must consume.
func (s *walker) object(field func(key []byte) error) error {
	if s.ws() >= len(s.b) || s.b[s.i] != '{' {
		return errSyntax
	}
	s.i++
	if s.ws() < len(s.b) && s.b[s.i] == '}' {
		s.i++
		return nil
	}
	for {
		if s.ws() >= len(s.b) || s.b[s.i] != '"' {
			return errSyntax
		}
		key, err := s.key()
		if err != nil {
			return err
		}
		if s.ws() >= len(s.b) || s.b[s.i] != ':' {
			return errSyntax
		}
		s.i++
		if err := field(key); err != nil {
			return err
		}
		if s.ws() >= len(s.b) {
			return errSyntax
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case '}':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// array reads an array, calling elem with the walker at each element,
// which elem must consume.
func (s *walker) array(elem func() error) error {
	if s.ws() >= len(s.b) || s.b[s.i] != '[' {
		return errSyntax
	}
	s.i++
	if s.ws() < len(s.b) && s.b[s.i] == ']' {
		s.i++
		return nil
	}
	for {
		if err := elem(); err != nil {
			return err
		}
		if s.ws() >= len(s.b) {
			return errSyntax
		}
		switch s.b[s.i] {
		case ',':
			s.i++
		case ']':
			s.i++
			return nil
		default:
			return errSyntax
		}
	}
}

// optObject reads an object or null, and says which it was.
func (s *walker) optObject(field func(key []byte) error) (bool, error) {
	if s.null() {
		return false, nil
	}
	return true, s.object(field)
}

// null consumes a null if one is next.
func (s *walker) null() bool {
	if s.ws()+4 <= len(s.b) && string(s.b[s.i:s.i+4]) == "null" {
		s.i += 4
		return true
	}
	return false
}

// str reads a string (or null, as ""). Plain ASCII, which is all Discord
// sends for ids and tokens, is taken as it is; anything else (escapes,
// other characters) is decoded by encoding/json.
func (s *walker) str() (string, error) {
	if s.null() {
		return "", nil
	}
	start := s.ws()
	if start >= len(s.b) || s.b[start] != '"' {
		return "", errSyntax
	}
	plain := true
	for j := start + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\':
			plain = false
			j++
		case c < 0x20:
			return "", errSyntax
		case c >= 0x80:
			plain = false
		case c == '"':
			s.i = j + 1
			if plain {
				return string(s.b[start+1 : j]), nil
			}
			var v string
			if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
				return "", errSyntax
			}
			return v, nil
		}
	}
	return "", errSyntax
}

// key reads an object key without copying it when it is plain ASCII.
func (s *walker) key() ([]byte, error) {
	start := s.i
	for j := start + 1; j < len(s.b); j++ {
		switch c := s.b[j]; {
		case c == '\\' || c >= 0x80:
			k, err := s.str()
			return []byte(k), err
		case c < 0x20:
			return nil, errSyntax
		case c == '"':
			s.i = j + 1
			return s.b[start+1 : j], nil
		}
	}
	return nil, errSyntax
}

// int reads an integer (or null, as 0).
func (s *walker) int() (int64, error) {
	if s.null() {
		return 0, nil
	}
	start := s.ws()
	j := start
	for j < len(s.b) && (s.b[j] == '-' || s.b[j] >= '0' && s.b[j] <= '9') {
		j++
	}
	n, err := strconv.ParseInt(string(s.b[start:j]), 10, 64)
	if err != nil {
		return 0, errSyntax
	}
	s.i = j
	return n, nil
}

// bool reads true, false or null (as false).
func (s *walker) bool() (bool, error) {
	s.ws()
	for _, lit := range []string{"true", "false", "null"} {
		if s.i+len(lit) <= len(s.b) && string(s.b[s.i:s.i+len(lit)]) == lit {
			s.i += len(lit)
			return lit == "true", nil
		}
	}
	return false, errSyntax
}

// value reads any value as encoding/json reads one into an interface:
// string, bool, float64 or nil; objects and arrays are left to
// encoding/json (option values never are).
func (s *walker) value() (any, error) {
	if s.ws() >= len(s.b) {
		return nil, errSyntax
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == 't' || c == 'f':
		return s.bool()
	case c == 'n':
		if s.null() {
			return nil, nil
		}
		return nil, errSyntax
	case c == '-' || c >= '0' && c <= '9':
		start := s.i
		if err := s.skip(); err != nil {
			return nil, err
		}
		f, err := strconv.ParseFloat(string(s.b[start:s.i]), 64)
		if err != nil {
			return nil, errSyntax
		}
		return f, nil
	}
	start := s.i
	if err := s.skip(); err != nil {
		return nil, err
	}
	var v any
	if err := json.Unmarshal(s.b[start:s.i], &v); err != nil {
		return nil, errSyntax
	}
	return v, nil
}

// uint8 reads an integer in [0, 255], the range of Discord's type codes.
func (s *walker) uint8() (int64, error) {
	n, err := s.int()
	if err != nil || n < 0 || n > 255 {
		return 0, errSyntax
	}
	return n, nil
}

// skip consumes one value of any kind.
func (s *walker) skip() error {
	if s.ws() >= len(s.b) {
		return errSyntax
	}
	switch s.b[s.i] {
	case '"':
		_, err := s.skipString()
		return err
	case '{', '[':
		depth := 0
		for s.i < len(s.b) {
			switch s.b[s.i] {
			case '"':
				if _, err := s.skipString(); err != nil {
					return err
				}
				continue
			case '{', '[':
				depth++
			case '}', ']':
				depth--
				if depth == 0 {
					s.i++
					return nil
				}
			}
			s.i++
		}
		return errSyntax
	default: // a number, true, false or null
		start := s.i
		for s.i < len(s.b) {
			switch c := s.b[s.i]; {
			case c == ',' || c == '}' || c == ']' || c == ' ' || c == '\t' || c == '\n' || c == '\r':
				if s.i == start {
					return errSyntax
				}
				return nil
			case c == '-' || c == '+' || c == '.' || c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
				s.i++
			default:
				return errSyntax
			}
		}
		if s.i == start {
			return errSyntax
		}
		return nil
	}
}

// skipString consumes a string, escapes and all.
func (s *walker) skipString() (int, error) {
	for j := s.i + 1; j < len(s.b); j++ {
		switch s.b[j] {
		case '\\':
			j++
		case '"':
			s.i = j + 1
			return j, nil
		}
	}
	return 0, errSyntax
}
