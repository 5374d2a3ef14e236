package bot

// Replies that ask the user to use a button word it for the platform. On
// Slack and Discord a command typed into the app's DM does nothing (the
// app's messages tab is read only), so they say "press" and name the
// button; on the console buttons are shown as command lines to type, so it
// says "type" and gives the line. Every such reply also carries the button.

// actionWord is "type" on the console and "press" elsewhere.
func actionWord(req *Request) string {
	if req.User.Platform() == "console" {
		return "type"
	}
	return "press"
}

// pressOrType tells the user how to use btn: "press **Yes, reset**" or,
// on the console, "type **roadmap reset confirm**".
func pressOrType(req *Request, btn Button) string {
	if actionWord(req) == "type" {
		return "type **" + btn.Command + "**"
	}
	return "press **" + btn.Label + "**"
}
