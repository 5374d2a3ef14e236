package discord

import (
	_ "embed"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/coachbot/coachbot/bot"
)

// zoneList holds the IANA time zones offered as suggestions, one a line.
// Go has no API that lists the zones it knows, so the list is kept here. It
// is every zone of the tz database's zone.tab (one or more per country,
// which covers the names people look for) plus UTC, made once with:
//
//	{ grep -v '^#' /usr/share/zoneinfo/zone.tab | cut -f3; echo UTC; } | sort -u > zones.txt
//
// A test checks that bot.LoadZone accepts every name. Users may still type
// any other zone Go knows: suggestions are a convenience, the parser decides.
//
//go:embed zones.txt
var zoneList string

var zones = strings.Fields(zoneList)

// autocomplete answers an autocomplete interaction: up to 25 choices for
// the focused option, filtered by what the user has typed so far.
func (a *Adapter) autocomplete(data discordgo.ApplicationCommandInteractionData) *discordgo.InteractionResponse {
	choices := []*discordgo.ApplicationCommandOptionChoice{}
	r := a.resolve(data)
	if r.command != nil {
		for _, o := range r.options {
			if !o.Focused {
				continue
			}
			typed, _ := o.Value.(string)
			if arg, ok := findArg(r.command, o.Name); ok {
				choices = a.suggest(arg, typed)
			}
			break
		}
	}
	return &discordgo.InteractionResponse{
		Type: discordgo.InteractionApplicationCommandAutocompleteResult,
		Data: &discordgo.InteractionResponseData{Choices: choices},
	}
}

// suggestion is one candidate: what is shown, what is sent, and the words
// that typed text is matched against.
type suggestion struct {
	name, value string
	words       []string
}

// suggest returns the candidates for arg that match typed, at most 25.
func (a *Adapter) suggest(arg bot.Arg, typed string) []*discordgo.ApplicationCommandOptionChoice {
	var cands []suggestion
	pack := a.bot.Content()
	switch arg.Kind {
	case bot.ArgStep:
		for i, s := range pack.Steps {
			n := strconv.Itoa(i + 1)
			cands = append(cands, suggestion{name: n + ". " + s.Title, value: s.ID, words: []string{n, s.ID, s.Title}})
		}
	case bot.ArgSkill:
		for _, s := range pack.Skills {
			cands = append(cands, suggestion{name: s.Name, value: s.ID, words: append([]string{s.ID, s.Name}, s.Aliases...)})
		}
	case bot.ArgZone:
		for _, z := range zones {
			cands = append(cands, suggestion{name: z, value: z, words: []string{z}})
		}
	case bot.ArgChoice:
		for _, c := range arg.Choices {
			cands = append(cands, suggestion{name: choiceLabel(c), value: c.Value, words: append([]string{c.Value, c.Label}, c.Aliases...)})
		}
	}
	key := matchKey(typed)
	out := []*discordgo.ApplicationCommandOptionChoice{}
	for _, c := range cands {
		if len(out) == maxOptions {
			break
		}
		if key != "" && !matchesAny(key, c.words) {
			continue
		}
		out = append(out, &discordgo.ApplicationCommandOptionChoice{Name: clip(c.name, maxCommandText), Value: clip(c.value, maxCommandText)})
	}
	return out
}

// matchKey folds typed text for matching: lower case, with spaces, hyphens
// and underscores alike, so "new york" finds America/New_York.
func matchKey(s string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case ' ', '-', '_':
			return ' '
		}
		return r
	}, strings.ToLower(strings.TrimSpace(s)))
}

func matchesAny(key string, words []string) bool {
	for _, w := range words {
		if strings.Contains(matchKey(w), key) {
			return true
		}
	}
	return false
}
