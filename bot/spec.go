package bot

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/coachbot/coachbot/content"
)

// Command is one entry of the command spec: a command or a subcommand with
// its arguments and help. The spec is the single source of the grammar: the
// text parser, help, Discord command registration and the Slack manifest are
// all made from it, so no command exists in one place only.
type Command struct {
	Name     string   // the word typed: "roadmap", "next"
	Aliases  []string // other words accepted for Name
	Summary  string   // one line, at most 100 characters (Discord's limit for descriptions)
	Help     string   // a paragraph for "help COMMAND"; optional
	Args     []Arg
	Subs     []*Command // subcommands; a command has either Subs or Args
	Default  string     // the subcommand run when none is typed ("roadmap" = "roadmap overview")
	Slash    bool       // also its own slash command where the platform allows (top level only)
	Examples []string   // full command lines, shown by help
	Hidden   bool       // left out of help lists (still parsed): buttons' plumbing

	parent *Command
	// stateless commands need no store to answer (the content pack is
	// enough), so they work while the store is down and skip the user
	// read that shows notices. Their replies are cached by adapters under
	// the canonical command line, so one whose answer varies (tip) sets
	// Reply.CacheKey itself. tip also counts the tips shown: a best-effort
	// write, bounded by tipStoreTimeout; the tip is shown if it fails.
	stateless bool
	run       func(b *Bot, ctx context.Context, req *Request) (Reply, error)
}

// Path returns the command's words from the top: "roadmap next".
func (c *Command) Path() string {
	if c.parent == nil {
		return c.Name
	}
	return c.parent.Path() + " " + c.Name
}

// Parent returns the command this one is a subcommand of, or nil.
func (c *Command) Parent() *Command { return c.parent }

// Usage returns the command's grammar line: "remind daily HH:MM [TZ] [DAYS]".
func (c *Command) Usage() string {
	var b strings.Builder
	b.WriteString(c.Path())
	if def := c.Sub(c.Default); def != nil && len(def.Args) > 0 {
		// The default takes arguments ("quiz 2" is "quiz ask 2"), so
		// they stand beside the other subcommands: "quiz [N|T|stats]".
		words := []string{}
		for _, a := range def.Args {
			words = append(words, a.Placeholder)
		}
		for _, s := range c.visibleSubs() {
			if s != def {
				words = append(words, s.Name)
			}
		}
		b.WriteString(" [" + strings.Join(words, "|") + "]")
		return b.String()
	}
	if len(c.Subs) > 0 {
		b.WriteString(" <")
		for i, s := range c.visibleSubs() {
			if i > 0 {
				b.WriteString("|")
			}
			b.WriteString(s.Name)
		}
		b.WriteString(">")
	}
	for _, a := range c.Args {
		b.WriteString(" ")
		if a.Required {
			b.WriteString(a.Placeholder)
		} else {
			b.WriteString("[" + a.Placeholder + "]")
		}
	}
	return b.String()
}

func (c *Command) visibleSubs() []*Command {
	var subs []*Command
	for _, s := range c.Subs {
		if !s.Hidden {
			subs = append(subs, s)
		}
	}
	return subs
}

// Sub returns the subcommand named (or aliased) name.
func (c *Command) Sub(name string) *Command {
	return findCommand(c.Subs, name)
}

func findCommand(cmds []*Command, name string) *Command {
	name = strings.ToLower(name)
	for _, c := range cmds {
		if c.Name == name {
			return c
		}
		for _, a := range c.Aliases {
			if a == name {
				return c
			}
		}
	}
	return nil
}

// ArgKind says what an argument holds, which decides how the parser
// recognises and checks it and which option type a platform registers.
type ArgKind int

// The argument kinds.
const (
	ArgText     ArgKind = iota // free text
	ArgStep                    // a roadmap step: its number or id
	ArgSkill                   // a skill: id, name or alias
	ArgChoice                  // one of Choices
	ArgClock                   // a time of day, HH:MM
	ArgZone                    // an IANA time zone name
	ArgDays                    // weekdays, weekends, daily, mon,wed,fri
	ArgDelay                   // a delay: 45m, 2h, 1d
	ArgConfirm                 // the word "confirm"
	ArgCommand                 // a command path, for help
	ArgTopic                   // one roadmap topic: 2.3, databases/indexes or indexing
	ArgDuration                // study time: 45m, 1h30m
	ArgNote                    // free text up to MaxNoteLength characters
)

// Arg is one positional argument of a command.
type Arg struct {
	Name        string // lower-case identifier: the Discord option name
	Placeholder string // shown in usage: "N", "HH:MM", "LEVEL"
	Summary     string // one line, at most 100 characters
	Kind        ArgKind
	Required    bool
	Rest        bool // takes the rest of the line (last argument only)
	// Topics lets an ArgStep name topics instead, one or several
	// ("roadmap done 2.1 2.4"): its value is then their refs ("2.1 2.4").
	Topics  bool
	Choices []Choice // for ArgChoice
}

// Choice is one allowed value of an ArgChoice argument.
type Choice struct {
	Value   string   // the canonical value handlers receive
	Label   string   // how platforms show it
	Aliases []string // other words accepted
}

// Spec is the command spec built for one content pack: levels and salary
// bands come from the pack, so its choices do too.
type Spec struct {
	Commands []*Command
	pack     *content.Pack
}

// Find returns the command at path ("roadmap next"), or nil.
func (s *Spec) Find(path string) *Command {
	words := strings.Fields(path)
	if len(words) == 0 {
		return nil
	}
	c := findCommand(s.Commands, words[0])
	for _, w := range words[1:] {
		if c == nil {
			return nil
		}
		c = c.Sub(w)
	}
	return c
}

// NewSpec builds the grammar of DESIGN §3 for pack p. Bot.Spec returns the
// one a bot uses; tools that need only the grammar (the Slack manifest) call
// this directly.
func NewSpec(p *content.Pack) *Spec {
	// A step takes the rest of the line, so that its title words work:
	// "roadmap step programming languages".
	stepArg := Arg{Name: "step", Placeholder: "N", Summary: "The step's number (1-" + strconv.Itoa(len(p.Steps)) + "), id or title words", Kind: ArgStep, Required: true, Rest: true}
	topicsArg := stepArg
	topicsArg.Placeholder, topicsArg.Summary, topicsArg.Topics = "N|T", "A step (number, id or title words), or topics like 2.3 or databases/indexes", true
	topicArg := Arg{Name: "topic", Placeholder: "T", Summary: "A topic: 2.3 (step 2, topic 3) or databases/indexes", Kind: ArgTopic, Required: true}
	confirm := Arg{Name: "confirm", Placeholder: "confirm", Summary: "Type confirm to go ahead", Kind: ArgConfirm}

	// career and salary take one set of level words (DESIGN §3): the
	// career levels, each with the words of the salary band that belongs
	// to it, so "salary junior" and "career experienced" both work.
	var levelChoices []Choice
	for i := range p.Levels {
		l := &p.Levels[i]
		var aliases []string
		seen := map[string]bool{strings.ToLower(l.ID): true, strings.ToLower(l.Title): true}
		for _, a := range p.LevelNames(l) {
			if k := strings.ToLower(a); !seen[k] {
				seen[k] = true
				aliases = append(aliases, a)
			}
		}
		levelChoices = append(levelChoices, Choice{Value: l.ID, Label: l.Title, Aliases: aliases})
	}
	levelArg := Arg{Name: "level", Placeholder: "LEVEL", Summary: "Career level, like junior, mid or senior", Kind: ArgChoice, Choices: levelChoices, Rest: true}

	cmds := []*Command{
		{
			Name: "roadmap", Summary: "The backend roadmap, step by step, with your progress", Slash: true, Default: "overview",
			Subs: []*Command{
				{Name: "overview", Aliases: []string{"all", "show"}, Summary: "All steps with your progress", run: (*Bot).roadmapOverview},
				{Name: "next", Summary: "The first step you have not finished, with topics and resources", run: (*Bot).roadmapNext},
				{Name: "step", Summary: "One step in detail", Args: []Arg{stepArg}, Examples: []string{"roadmap step 3", "roadmap step databases", "roadmap step web servers"}, run: (*Bot).roadmapStep},
				{Name: "done", Summary: "Mark a step (all its topics) or topics done", Args: []Arg{topicsArg}, Examples: []string{"roadmap done 1", "roadmap done 2.1 2.4", "roadmap done databases/indexes"}, run: (*Bot).roadmapDone},
				{Name: "learning", Aliases: []string{"learn", "start"}, Summary: "Mark a topic as the one you are learning now", Args: []Arg{topicArg}, Examples: []string{"roadmap learning 2.3"}, run: (*Bot).roadmapLearning},
				{Name: "skip", Summary: "Skip a topic (it counts as finished)", Args: []Arg{topicArg}, Examples: []string{"roadmap skip 1.5"}, run: (*Bot).roadmapSkip},
				{Name: "undo", Summary: "Mark a step or topics not started again", Args: []Arg{topicsArg}, Examples: []string{"roadmap undo 2.3"}, run: (*Bot).roadmapUndo},
				{Name: "reset", Summary: "Forget your roadmap progress (asks first)", Args: []Arg{confirm}, run: (*Bot).roadmapReset},
			},
		},
		{
			Name: "skills", Aliases: []string{"skill"}, Summary: "The key skills of a backend developer, or one in detail", Slash: true, stateless: true,
			Args:     []Arg{{Name: "skill", Placeholder: "NAME", Summary: "A skill, like databases or security", Kind: ArgSkill, Rest: true}},
			Examples: []string{"skills", "skills security"}, run: (*Bot).skills,
		},
		{
			Name: "salary", Aliases: []string{"salaries", "pay"}, Summary: "Backend developer salary bands, with their source", Slash: true, stateless: true,
			Args:     []Arg{levelArg},
			Examples: []string{"salary", "salary mid"}, run: (*Bot).salary,
		},
		{
			Name: "career", Aliases: []string{"careers", "ladder"}, Summary: "The career ladder from junior to architect", Slash: true, stateless: true,
			Args:     []Arg{levelArg},
			Examples: []string{"career", "career senior"}, run: (*Bot).career,
		},
		{
			Name: "today", Summary: "What to study today: your topic, one resource, your plan",
			Args:     []Arg{{Name: "resource", Placeholder: "N", Summary: "Show the topic's resource number N", Kind: ArgText}},
			Examples: []string{"today", "today 2"}, run: (*Bot).today,
		},
		{
			Name: "plan", Summary: "Study hours a week, and when you finish each step",
			Help:     "HOURS is 1 to 60 a week. The dates come from our estimate of each topic's hours. **plan** shows your plan and whether you are on track; **plan off** stops it.",
			Args:     []Arg{{Name: "hours", Placeholder: "HOURS|off", Summary: "Hours a week, 1 to 60, or off", Kind: ArgText}},
			Examples: []string{"plan 8", "plan", "plan off"}, run: (*Bot).plan,
		},
		{
			Name: "quiz", Summary: "A self-check question on what you're learning", Slash: true, Default: "ask",
			Subs: []*Command{
				{
					Name: "ask", Summary: "A question on a step or topic, or on what you're learning",
					Args:     []Arg{{Name: "step", Placeholder: "N|T", Summary: "A step (number, id or title words), or a topic like 1.3", Kind: ArgStep, Rest: true, Topics: true}},
					Examples: []string{"quiz", "quiz 1", "quiz 1.3"}, run: (*Bot).quizAsk,
				},
				{
					Name: "answer", Summary: "Answer a question (the answer buttons)", Hidden: true,
					Args: []Arg{
						{Name: "question", Placeholder: "Q", Summary: "The question id", Kind: ArgText, Required: true},
						{Name: "choice", Placeholder: "C", Summary: "The option, 1-4", Kind: ArgText, Required: true},
						{Name: "nonce", Placeholder: "R", Summary: "The showing", Kind: ArgText},
					},
					run: (*Bot).quizAnswer,
				},
				{Name: "stats", Summary: "Answers, accuracy and questions due, by step", run: (*Bot).quizStats},
			},
		},
		{Name: "review", Summary: "The next quiz question due for review", run: (*Bot).review},
		{Name: "progress", Aliases: []string{"stats", "me"}, Summary: "Your progress, study streak and next step", Slash: true, run: (*Bot).progress},
		{
			Name: "checkin", Aliases: []string{"check-in"}, Summary: "Log today's study, with minutes and a note if you like",
			Help: "A second check-in the same day adds its minutes and note to the first. Notes are kept for a year; **export** shows them and **forget** deletes them.",
			Args: []Arg{
				{Name: "time", Placeholder: "DURATION", Summary: "How long you studied, like 45m or 1h30m", Kind: ArgDuration},
				{Name: "note", Placeholder: "NOTE", Summary: "What you did, up to 200 characters", Kind: ArgNote, Rest: true},
			},
			Examples: []string{"checkin", "checkin 45m built the add command", "checkin read about indexes"},
			run:      (*Bot).checkin,
		},
		{
			Name: "remind", Aliases: []string{"reminder", "reminders"}, Summary: "Daily study reminders by direct message", Slash: true, Default: "status",
			Subs: []*Command{
				{
					Name: "daily", Summary: "A reminder every day (or on the days you choose) at a local time",
					Help: "TZ is an IANA zone name such as Europe/London or Asia/Kolkata; without it I use your profile's zone where the platform has one, else UTC. DAYS is weekdays, weekends, daily (the default) or a list like mon,wed,fri.",
					Args: []Arg{
						{Name: "time", Placeholder: "HH:MM", Summary: "Local time of day, 24-hour, like 19:00", Kind: ArgClock, Required: true},
						{Name: "zone", Placeholder: "TZ", Summary: "Time zone, like Europe/London", Kind: ArgZone},
						{Name: "days", Placeholder: "DAYS", Summary: "weekdays, weekends, daily or a list like mon,wed,fri", Kind: ArgDays, Rest: true},
					},
					Examples: []string{"remind daily 19:00", "remind daily 07:30 Asia/Kolkata weekdays", "remind daily 18:00 Europe/Berlin mon,wed,fri"},
					run:      (*Bot).remindDaily,
				},
				{
					Name: "in", Summary: "One reminder after a delay",
					Args:     []Arg{{Name: "delay", Placeholder: "DURATION", Summary: "How long from now, like 45m, 2h or 1d", Kind: ArgDelay, Required: true}},
					Examples: []string{"remind in 45m", "remind in 2h"}, run: (*Bot).remindIn,
				},
				{
					Name: "snooze", Summary: "Remind me again later", Hidden: true,
					Args: []Arg{{Name: "delay", Placeholder: "DURATION", Summary: "How long from now, like 1h", Kind: ArgDelay, Required: true}},
					run:  (*Bot).remindSnooze,
				},
				{
					Name: "weekly", Summary: "The weekly digest by direct message, on one day at a local time",
					Args: []Arg{
						{Name: "day", Placeholder: "DAY", Summary: "The day of the week, like sun or monday", Kind: ArgChoice, Required: true, Choices: weekdayChoices()},
						{Name: "time", Placeholder: "HH:MM", Summary: "Local time of day, 24-hour, like 18:00", Kind: ArgClock, Required: true},
						{Name: "zone", Placeholder: "TZ", Summary: "Time zone, like Europe/London", Kind: ArgZone},
					},
					Examples: []string{"remind weekly sun 18:00", "remind weekly mon 08:00 Europe/London"},
					run:      (*Bot).remindWeekly,
				},
				{
					Name: "off", Aliases: []string{"stop"}, Summary: "Stop reminders: daily, weekly, once or all (the default)",
					Args: []Arg{{Name: "kind", Placeholder: "daily|weekly|once|all", Summary: "Which reminder to stop; all by default", Kind: ArgChoice, Choices: []Choice{
						{Value: "daily", Label: "Daily"}, {Value: "weekly", Label: "Weekly digest", Aliases: []string{"digest"}},
						{Value: "once", Label: "One-off", Aliases: []string{"one-off", "in"}}, {Value: "all", Label: "All"},
					}}},
					Examples: []string{"remind off", "remind off daily"},
					run:      (*Bot).remindOff,
				},
				{Name: "status", Summary: "Your reminders and when they fire next", run: (*Bot).remindStatus},
			},
		},
		{Name: "digest", Aliases: []string{"week", "recap"}, Summary: "Your week: topics finished, days studied, streak, plan", run: (*Bot).digest},
		{Name: "tip", Aliases: []string{"tips"}, Summary: "A practical tip for your studies", stateless: true, run: (*Bot).tip},
		{Name: "export", Summary: "Everything I keep about you, as JSON", run: (*Bot).export},
		{Name: "forget", Summary: "Delete everything I keep about you (asks first)", Args: []Arg{confirm}, run: (*Bot).forget},
		{
			Name: welcomeCommand, Summary: "A short welcome, for greetings and questions I cannot read", Hidden: true, stateless: true,
			run: (*Bot).welcome,
		},
		{
			Name: "help", Aliases: []string{"?", "commands"}, Summary: "What I can do, or how to use one command", stateless: true,
			Args:     []Arg{{Name: "command", Placeholder: "COMMAND", Summary: "A command, like remind", Kind: ArgCommand, Rest: true}},
			Examples: []string{"help", "help remind"}, run: (*Bot).help,
		},
	}
	for _, c := range cmds {
		setParents(c)
	}
	return &Spec{Commands: cmds, pack: p}
}

// weekdayChoices are the days of the week, Monday first, by their
// three-letter names and full names.
func weekdayChoices() []Choice {
	var cs []Choice
	for i := 1; i <= 7; i++ {
		d := time.Weekday(i % 7)
		cs = append(cs, Choice{Value: strings.ToLower(d.String()[:3]), Label: d.String(), Aliases: []string{strings.ToLower(d.String())}})
	}
	return cs
}

func setParents(c *Command) {
	for _, s := range c.Subs {
		s.parent = c
		s.stateless = s.stateless || c.stateless
		setParents(s)
	}
}
