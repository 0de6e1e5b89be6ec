package api

import (
	_ "embed"

	"github.com/gofiber/fiber/v2"
)

// openAPI is the OpenAPI 3.1 document of every route (api/openapi.json):
// the contract the API tests hold the server to (each route is in it and
// each response they get validates against it).
//
//go:embed openapi.json
var openAPI []byte

// OpenAPI returns the OpenAPI 3.1 document served at GET /openapi.json.
func OpenAPI() []byte { return append([]byte(nil), openAPI...) }

func (s *Server) openAPIDoc(c *fiber.Ctx) error {
	c.Set(fiber.HeaderContentType, fiber.MIMEApplicationJSON)
	return c.Send(openAPI)
}
