// Package content is coachbot's content pack: the backend roadmap, the key
// skills, the career ladder, salary tables and study tips, written as YAML so
// that they can be edited and reviewed without touching Go code.
//
// The default pack is embedded in the binary (Default), so the bot runs with
// no files beside it; an operator can replace it with a directory of the same
// five files (LoadDir, COACH_CONTENT_DIR). Every pack, embedded or not, goes
// through the same strict decoding and validation, and all problems are
// reported together with the file and item they concern (Problems), because a
// person fixing a pack wants the whole list, not one error per run.
//
// The lookups (Pack.Step, Pack.Skill, Pack.Level, SalaryTable.Band) forgive
// case, spaces, hyphens and underscores, since their input is whatever a user
// typed into a chat.
//
// content sits at the bottom of the import graph: it may import the standard
// library and go.yaml.in/yaml/v3 only, never another package of this module,
// so that bot and cmd/coachbot can both depend on it.
package content
