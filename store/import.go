package store

import (
	"context"
	"fmt"
)

// MaxTodoOrder returns the greatest order among userID's todos, 0 when
// they have none: an import puts its todos after it. (The layout reads it
// as a create that goes last does.)
func (s *Store) MaxTodoOrder(ctx context.Context, userID string) (float64, error) {
	top, err := s.todos.maxOrder(ctx, userID)
	if err != nil {
		return 0, fmt.Errorf("last todo order: %w", err)
	}
	return top, nil
}
