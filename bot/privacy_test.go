package bot_test

import (
	"context"
	"fmt"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/coachbot/coachbot/bot"
	"github.com/coachbot/coachbot/bot/bottest"
	"github.com/coachbot/coachbot/bot/storetest"
)

// notExported lists the fields of the record that export leaves out or
// shows in another form, and why. A field added to bot.User later is in
// the export or here: the test below fails otherwise.
var notExported = map[string]string{
	"Reminders.Days":    "exported as its token (mon,wed), checked by TestExportAndForget",
	"Topics":            "each mark is exported as its state word under topics and its day under topic_days, checked by TestExportTopicsCheckinsPlan",
	"Topics[key]":       "a topic's num is exported as step/topic, checked by TestExportTopicsCheckinsPlan",
	"Checkins.First":    "the log's columns are exported as checkins [{date, minutes, note}], checked by TestCheckinMinutesAndNote",
	"Checkins.Days":     "as Checkins.First",
	"Checkins.Minutes":  "as Checkins.First",
	"Cards[key]":        "a card's key is exported as its question id, checked by TestQuizExportAndForget",
	"Cards.Due":         "minutes exported as the time due, checked by TestQuizExportAndForget",
	"Cards.Last":        "minutes exported as last_review, checked by TestQuizExportAndForget",
	"Cards.Difficulty":  "exported divided by 100, checked by TestQuizExportAndForget",
	"Cards.StateRating": "exported as the words state and last_rating, checked by TestQuizExportAndForget",
}

// TestExportHoldsEveryField exports a user with every field of the record
// set (storetest.Filled) and finds each value in the JSON.
func TestExportHoldsEveryField(t *testing.T) {
	h := bottest.New(t)
	want := storetest.Filled(h.User)
	if _, err := h.Store.UpdateUser(context.Background(), h.User, func(u *bot.User) error { *u = want; return nil }); err != nil {
		t.Fatal(err)
	}
	js := h.Say("export").Text
	stored, err := h.Store.User(context.Background(), h.User)
	if err != nil {
		t.Fatal(err)
	}
	want.Created, want.Updated = stored.Created, stored.Updated // the store sets them
	walk(reflect.ValueOf(want), "", func(path string, v reflect.Value) {
		if _, ok := notExported[path]; ok {
			return
		}
		var pattern string
		switch {
		case v.Type() == reflect.TypeFor[time.Time]():
			pattern = regexp.QuoteMeta(`"` + v.Interface().(time.Time).UTC().Format(time.RFC3339Nano) + `"`)
		case v.Kind() == reflect.String:
			pattern = regexp.QuoteMeta(fmt.Sprintf("%q", v.String()))
		case v.Type().Implements(reflect.TypeFor[fmt.Stringer]()):
			pattern = regexp.QuoteMeta(fmt.Sprintf("%q", v.Interface().(fmt.Stringer).String())) // a day as its date
		default:
			pattern = `[:\[,]\s*` + regexp.QuoteMeta(fmt.Sprint(v.Interface())) + `\s*[,\]}\n]`
		}
		if !regexp.MustCompile(pattern).MatchString(js) {
			t.Errorf("export lacks %s = %v (add it to the export, or to notExported with a reason)", path, v.Interface())
		}
	})
}

// walk calls leaf for every value of the record below v, with its field
// path ("Reminders.Kind"): the fields tagged rec:"-" are not in the record.
func walk(v reflect.Value, path string, leaf func(string, reflect.Value)) {
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		leaf(path, v)
	case v.Kind() == reflect.Struct:
		for i := range v.NumField() {
			f := v.Type().Field(i)
			if f.Tag.Get("rec") == "-" {
				continue
			}
			walk(v.Field(i), strings.TrimPrefix(path+"."+f.Name, "."), leaf)
		}
	case v.Kind() == reflect.Slice:
		for i := range v.Len() {
			walk(v.Index(i), path, leaf)
		}
	case v.Kind() == reflect.Map:
		for _, k := range v.MapKeys() {
			walk(k, path+"[key]", leaf)
			walk(v.MapIndex(k), path, leaf)
		}
	default:
		leaf(path, v)
	}
}
