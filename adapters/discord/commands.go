package discord

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/coachbot/coachbot/bot"
)

// Umbrella is the command that carries every command of the spec as a
// subcommand (or a subcommand group, for commands with subcommands), so
// that "/coach roadmap next" works like "/roadmap next" and commands that
// are not slash commands of their own ("/coach checkin") are reachable.
const Umbrella = "coach"

// umbrellaSummary describes the umbrella command in Discord's picker.
const umbrellaSummary = "Your backend career coach: roadmap, skills, salaries, progress and reminders"

// Discord's limits on command definitions.
const (
	maxCommandText = 100 // command, option and choice descriptions and names of choices
	maxOptions     = 25  // options (or subcommands) per level, and choices per option
)

// Commands turns the command spec into Discord application commands: the
// umbrella command "coach" with every visible command below it (Discord
// nests two levels, so "coach roadmap next" is the group roadmap with the
// subcommand next), followed by each command the spec marks Slash as a
// top-level command of its own. A command's Default subcommand is a real
// subcommand ("/roadmap overview"), since Discord requires one to be chosen.
//
// Arguments become typed options: a choice argument lists its choices; a
// step, a skill or a time zone is autocompleted; a confirmation is a
// boolean; everything else is a string. Required options come first, as
// Discord demands; the line sent to the bot keeps the spec's order anyway.
func Commands(spec *bot.Spec) []*discordgo.ApplicationCommand {
	coach := &discordgo.ApplicationCommand{
		Name:        Umbrella,
		Type:        discordgo.ChatApplicationCommand,
		Description: clip(umbrellaSummary, maxCommandText),
		Options:     []*discordgo.ApplicationCommandOption{},
	}
	cmds := []*discordgo.ApplicationCommand{coach}
	for _, c := range spec.Commands {
		if c.Hidden || c.Name == Umbrella {
			continue
		}
		if len(coach.Options) < maxOptions {
			coach.Options = append(coach.Options, umbrellaOption(c))
		}
		if c.Slash {
			cmds = append(cmds, &discordgo.ApplicationCommand{
				Name:        c.Name,
				Type:        discordgo.ChatApplicationCommand,
				Description: clip(c.Summary, maxCommandText),
				Options:     commandOptions(c),
			})
		}
	}
	return cmds
}

// umbrellaOption is c below "coach": a group of subcommands, or a subcommand.
func umbrellaOption(c *bot.Command) *discordgo.ApplicationCommandOption {
	o := &discordgo.ApplicationCommandOption{
		Name:        c.Name,
		Description: clip(c.Summary, maxCommandText),
		Type:        discordgo.ApplicationCommandOptionSubCommand,
		Options:     commandOptions(c),
	}
	if len(c.Subs) > 0 {
		o.Type = discordgo.ApplicationCommandOptionSubCommandGroup
	}
	return o
}

// commandOptions lists c's subcommands, or its arguments as options.
func commandOptions(c *bot.Command) []*discordgo.ApplicationCommandOption {
	opts := []*discordgo.ApplicationCommandOption{}
	if len(c.Subs) > 0 {
		for _, s := range c.Subs {
			if s.Hidden || len(opts) == maxOptions {
				continue
			}
			opts = append(opts, &discordgo.ApplicationCommandOption{
				Name:        s.Name,
				Description: clip(s.Summary, maxCommandText),
				Type:        discordgo.ApplicationCommandOptionSubCommand,
				Options:     argOptions(s),
			})
		}
		return opts
	}
	return argOptions(c)
}

// argOptions turns c's arguments into typed options, required ones first.
func argOptions(c *bot.Command) []*discordgo.ApplicationCommandOption {
	opts := []*discordgo.ApplicationCommandOption{}
	for _, a := range c.Args {
		if len(opts) == maxOptions {
			break
		}
		o := &discordgo.ApplicationCommandOption{
			Name:        a.Name,
			Description: clip(argSummary(a), maxCommandText),
			Type:        discordgo.ApplicationCommandOptionString,
			Required:    a.Required,
		}
		switch a.Kind {
		case bot.ArgConfirm:
			// A boolean here, not the word: the description says which
			// value does what.
			o.Type = discordgo.ApplicationCommandOptionBoolean
			o.Description = "True to go ahead at once; left out or False, I ask first"
		case bot.ArgChoice:
			if len(a.Choices) > maxOptions {
				o.Autocomplete = true // too many to list: suggest them as typed
				break
			}
			for _, ch := range a.Choices {
				o.Choices = append(o.Choices, &discordgo.ApplicationCommandOptionChoice{
					Name:  clip(choiceLabel(ch), maxCommandText),
					Value: ch.Value,
				})
			}
		case bot.ArgStep, bot.ArgSkill, bot.ArgZone:
			o.Autocomplete = true
		}
		opts = append(opts, o)
	}
	// Discord refuses an optional option before a required one.
	slices.SortStableFunc(opts, func(x, y *discordgo.ApplicationCommandOption) int {
		switch {
		case x.Required == y.Required:
			return 0
		case x.Required:
			return -1
		}
		return 1
	})
	return opts
}

func argSummary(a bot.Arg) string {
	if a.Summary != "" {
		return a.Summary
	}
	return a.Placeholder
}

func choiceLabel(c bot.Choice) string {
	if c.Label != "" {
		return c.Label
	}
	return c.Value
}

// Where a command may be installed and used (Discord's
// integration_types and contexts). Every command is offered everywhere:
// installed to a server or to a user's own account, and used in a server,
// in the DM with the bot, or in any other DM or group DM, so a learner
// who installed the app to their account can follow the roadmap from
// anywhere.
var (
	integrationTypes = []int{installGuild, installUser}
	commandContexts  = []int{int(contextGuild), int(contextBotDM), int(contextPrivate)}
)

// registration is a command as SyncCommands sends it: discordgo's form
// with the fields discordgo v0.28.1 does not have.
type registration struct {
	*discordgo.ApplicationCommand
	IntegrationTypes []int `json:"integration_types,omitempty"`
	Contexts         []int `json:"contexts,omitempty"`
}

// SyncCommands registers Commands(spec) with one bulk overwrite: to the
// guild when Config.GuildID is set (visible at once, for development),
// else globally. Overwriting the same set again changes nothing, so every
// replica may call it at start-up. A rate limit is returned as an error,
// not waited out.
//
// Global commands carry integration_types [0, 1] and contexts [0, 1, 2],
// so that people can install the app to their own account and use it in
// any server or DM. Discord reads those fields on global commands only (a
// guild's commands exist in that guild alone), so the guild overwrite
// leaves them out. The body is our own JSON, sent through the session's
// REST client, so the request shares discordgo's rate-limit buckets, its
// token and the configured API base with every other call.
func (a *Adapter) SyncCommands(ctx context.Context) error {
	cmds := Commands(a.spec)
	body := make([]registration, len(cmds))
	for n, c := range cmds {
		body[n] = registration{ApplicationCommand: c}
		if a.guildID == "" {
			body[n].IntegrationTypes, body[n].Contexts = integrationTypes, commandContexts
		}
	}
	scope, endpoint := "global", discordgo.EndpointApplicationGlobalCommands(a.appID)
	if a.guildID != "" {
		scope, endpoint = "guild", discordgo.EndpointApplicationGuildCommands(a.appID, a.guildID)
	}
	// The bucket is the endpoint, as discordgo's own
	// ApplicationCommandBulkOverwrite names it.
	if _, err := a.session.RequestWithBucketID(http.MethodPut, endpoint, body, endpoint, discordgo.WithContext(ctx)); err != nil {
		return fmt.Errorf("discord: sync %d commands: %w", len(cmds), err)
	}
	a.log.Info("discord commands synced", "commands", len(cmds), "scope", scope)
	return nil
}

// resolved is an application command interaction matched against the spec.
type resolved struct {
	path    string                                               // the command words: "roadmap next"
	command *bot.Command                                         // nil when the spec has no such command
	options []*discordgo.ApplicationCommandInteractionDataOption // the leaf's options
}

// resolve walks the interaction's subcommand (group) options down to the
// command that runs.
func (a *Adapter) resolve(data discordgo.ApplicationCommandInteractionData) resolved {
	var words []string
	if data.Name != Umbrella {
		words = append(words, data.Name)
	}
	opts := data.Options
	for len(opts) == 1 && (opts[0].Type == discordgo.ApplicationCommandOptionSubCommand || opts[0].Type == discordgo.ApplicationCommandOptionSubCommandGroup) {
		words = append(words, opts[0].Name)
		opts = opts[0].Options
	}
	r := resolved{path: strings.Join(words, " "), options: opts}
	if len(words) > 0 {
		r.command = a.spec.Find(r.path)
	}
	return r
}

// commandLine builds the text command line for an application command, so
// the same parser checks it as when the command is typed: the command path
// and its argument values in the spec's order (bot.Parsed.Line). A command
// the spec does not know (a stale registration) yields its words, which the
// bot answers with a helpful error.
func (a *Adapter) commandLine(data discordgo.ApplicationCommandInteractionData) string {
	r := a.resolve(data)
	if r.command == nil || len(r.command.Subs) > 0 {
		return r.path
	}
	args := make(map[string]string, len(r.options))
	for _, o := range r.options {
		arg, ok := findArg(r.command, o.Name)
		if !ok {
			continue
		}
		if v := optionValue(arg, o); v != "" {
			args[arg.Name] = v
		}
	}
	p := bot.Parsed{Command: r.command, Args: args}
	return p.Line()
}

func findArg(c *bot.Command, name string) (bot.Arg, bool) {
	for _, a := range c.Args {
		if a.Name == name {
			return a, true
		}
	}
	return bot.Arg{}, false
}

// optionValue is the text an option stands for in a command line.
func optionValue(arg bot.Arg, o *discordgo.ApplicationCommandInteractionDataOption) string {
	switch v := o.Value.(type) {
	case bool:
		if arg.Kind == bot.ArgConfirm && v {
			return "confirm"
		}
		return ""
	case string:
		return strings.Join(strings.Fields(v), " ")
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case nil:
		return ""
	}
	return fmt.Sprint(o.Value)
}
