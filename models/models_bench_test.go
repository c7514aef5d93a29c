package models_test

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"listo/models"
)

func benchTodo(i int) models.Todo {
	created := time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)
	due := created.Add(72 * time.Hour)
	return models.Todo{
		ID: fmt.Sprintf("6650f0c2a1b2c3d4e5f6%04x", i), UserID: "6650f0c2a1b2c3d4e5f60718",
		Title: "Buy milk and bread", Notes: "the semi-skimmed one", Order: float64(i),
		Due: &due, CreatedAt: created, UpdatedAt: created, Version: 1,
	}
}

// BenchmarkTodoJSON encodes one todo, as POST and PATCH /todos answer.
func BenchmarkTodoJSON(b *testing.B) {
	t := benchTodo(1)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(t); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkTodoPageJSON encodes a page of 50 todos, as GET
// /todos?per_page=50 answers.
func BenchmarkTodoPageJSON(b *testing.B) {
	page := models.Page[models.Todo]{Page: 1, PerPage: 50, Total: 50}
	for i := range 50 {
		page.Items = append(page.Items, benchTodo(i))
	}
	out, err := json.Marshal(page)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(out)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := json.Marshal(page); err != nil {
			b.Fatal(err)
		}
	}
}
