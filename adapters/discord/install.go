package discord

import "github.com/bwmarrin/discordgo"

// Since 2024 a Discord app can be installed to a server (by its admins) or
// to a person's own account; a user-installed app's commands work in any
// server and DM that person is in, whether the bot is a member there or
// not. An interaction says where it ran ("context") and which
// installations authorised it ("authorizing_integration_owners", keyed by
// installation type). discordgo v0.28.1 reads neither, so decodeInteraction
// does.

// Installation types: the keys of authorizing_integration_owners and the
// values of a command's integration_types.
const (
	installGuild = 0 // installed to a server
	installUser  = 1 // installed to a user's account
)

// place is where an interaction ran: Discord's interaction context type.
type place int8

// The interaction contexts.
const (
	contextUnknown place = -1 // no "context" in the payload (Discord always sends one today)
	contextGuild   place = 0  // a server channel
	contextBotDM   place = 1  // the DM between the user and the bot
	contextPrivate place = 2  // any other DM or group DM: other people read it
)

// owners is the set of installations that authorised an interaction.
type owners uint8

// The installations, as bits of owners.
const (
	ownerGuild owners = 1 << installGuild // the app is installed to the server (or "0" in the bot's DM)
	ownerUser  owners = 1 << installUser  // the app is installed to the user's account
)

// interaction is an interaction as dispatch reads it: discordgo's form and
// what discordgo does not keep. discordgo's part is held by value, so that
// decoding allocates one struct as before.
type interaction struct {
	discordgo.Interaction
	context place
	owners  owners
}

// private reports whether the bot's answers must be seen by the user
// alone, whatever the Reply says: in someone else's DM or a group DM
// (other people read it, and they did not invite the bot), and in a server
// where the app is installed by the user only (the server's admins did
// not invite it; a server that disallows external apps makes Discord
// show such answers to the user alone anyway). A guild-installed app in
// its servers, and the DM with the bot, keep the Reply's own visibility.
func (i *interaction) private() bool {
	switch i.context {
	case contextPrivate:
		return true
	case contextGuild:
		return i.owners&ownerGuild == 0 && i.owners&ownerUser != 0
	}
	return false
}

// ownMessage reports whether the message a button was on is the presser's
// own, so that the press may update it: an ephemeral message, or one in
// the DM with the bot. Without a context (an older payload), a message
// outside a server counts as the bot's DM.
func (i *interaction) ownMessage() bool {
	if i.Message == nil {
		return false
	}
	if i.Message.Flags&discordgo.MessageFlagsEphemeral != 0 {
		return true
	}
	switch i.context {
	case contextBotDM:
		return true
	case contextUnknown:
		return i.GuildID == ""
	}
	return false
}
