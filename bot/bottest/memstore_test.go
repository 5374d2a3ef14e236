package bottest_test

import (
	"testing"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
	"github.com/coachbot/coachbot/bot/storetest"
)

func TestMemStoreConformance(t *testing.T) {
	storetest.Run(t, func(t *testing.T) bot.Store {
		return bottest.NewMemStore(bot.SystemClock{})
	})
}
