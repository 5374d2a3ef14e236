// Command coachbot runs the career coach: it reads the COACH_ environment
// (the only package that does), opens the store, builds the bot and runs the
// adapters whose credentials are configured; with none, it is a console chat.
//
//	coachbot                       chat on the console
//	coachbot ask "salary mid"      answer one command and exit
//	coachbot content check [DIR]   validate a content pack
//
// It may import everything in this module.
package main
