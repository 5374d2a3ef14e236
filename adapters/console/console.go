package console

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/coachbot/coachbot/bot"
)

// Config says where the console reads and writes and who is typing.
type Config struct {
	In     io.Reader
	Out    io.Writer
	User   string // the console user's name: their UserID is console:<User>
	Prompt bool   // show a greeting and a prompt: In is a terminal
	Zone   string // the machine's IANA zone, offered as the user's profile zone; "" if unknown
}

// Console is a chat with the bot on a terminal or any pair of streams. It is
// also the Messenger for console users: reminders print as they fire.
type Console struct {
	bot  *bot.Bot
	cfg  Config
	user bot.UserID

	mu sync.Mutex // one writer at a time: replies and reminders interleave
}

// New returns a console for b. Register it as the "console" Messenger with
// b.SetMessenger("console", c) so reminders reach it.
func New(b *bot.Bot, cfg Config) *Console {
	return &Console{bot: b, cfg: cfg, user: userID(cfg.User)}
}

// userID is the console user named name, "me" when it is empty.
func userID(name string) bot.UserID {
	if name == "" {
		name = "me"
	}
	return bot.ConsoleUser(name)
}

// User returns the console user's id.
func (c *Console) User() bot.UserID { return c.user }

// Run reads command lines until the input ends or ctx is cancelled, and
// prints each reply. Blank lines are skipped; "quit" and "exit" end it too.
func (c *Console) Run(ctx context.Context) error {
	lines := make(chan string)
	readErr := make(chan error, 1)
	go func() {
		r := bufio.NewReader(c.cfg.In)
		for {
			line, err := readLine(r)
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = nil
				}
				readErr <- err
				close(lines)
				return
			}
			select {
			case lines <- line:
			case <-ctx.Done():
				return
			}
		}
	}()

	if c.cfg.Prompt {
		c.write("coachbot: your backend career coach. Type help to see what I can do,\n" +
			"or roadmap next to start. Ctrl-D quits.\n\n" + c.prompt())
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case line, ok := <-lines:
			if !ok {
				if c.cfg.Prompt {
					c.write("\n")
				}
				if err := <-readErr; err != nil {
					return fmt.Errorf("console: reading input: %w", err)
				}
				return nil
			}
			line = strings.TrimSpace(line)
			switch strings.ToLower(line) {
			case "":
				c.write(c.prompt())
				continue
			case "quit", "exit":
				return nil
			}
			reply := c.bot.Handle(ctx, c.user, line)
			c.write(Render(reply) + "\n" + c.prompt())
		}
	}
}

// maxLine is how much of one input line the console keeps. The parser
// refuses far shorter lines; the cap only bounds memory when someone pastes
// a file, and the rest of such a line is skipped rather than ending the chat.
const maxLine = 4096

// readLine reads one line without its line ending, keeping at most maxLine
// bytes of it. The last line may lack a newline.
func readLine(r *bufio.Reader) (string, error) {
	var buf []byte
	for {
		part, more, err := r.ReadLine()
		if err != nil {
			if errors.Is(err, io.EOF) && len(buf) > 0 {
				return string(buf), nil
			}
			return "", err
		}
		if len(buf) < maxLine {
			buf = append(buf, part[:min(len(part), maxLine-len(buf))]...)
		}
		if !more {
			return string(buf), nil
		}
	}
}

func (c *Console) prompt() string {
	if c.cfg.Prompt {
		return "> "
	}
	return ""
}

func (c *Console) write(s string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	io.WriteString(c.cfg.Out, s)
}

// SendDM prints a reminder. The console is one person's, so any console
// user's reminder is shown, named when it is not the one typing.
func (c *Console) SendDM(ctx context.Context, to bot.UserID, r bot.Reply) error {
	head := "🔔 Reminder"
	if to != c.user {
		head += " for " + strings.TrimPrefix(string(to), "console:")
	}
	lead := ""
	if c.cfg.Prompt {
		lead = "\n" // the prompt is waiting on this line
	}
	c.write(lead + head + "\n" + Render(r) + "\n" + c.prompt())
	return nil
}

// UserZone offers the machine's zone as the console user's profile zone.
func (c *Console) UserZone(ctx context.Context, id bot.UserID) (string, error) {
	return c.cfg.Zone, nil
}

// Ask answers one command line and writes the reply to out. When the reply
// reports an error (a mistake in the line, or the store down) it returns a
// coded *bot.Error after writing it, so a script sees a failure (exit 1).
func Ask(ctx context.Context, b *bot.Bot, user, line string, out io.Writer) error {
	r := b.Handle(ctx, userID(user), line)
	if _, err := io.WriteString(out, Render(r)); err != nil {
		return err
	}
	if r.Code != "" {
		return &bot.Error{Code: r.Code, Message: "the command was not carried out; the reply above says why"}
	}
	return nil
}
