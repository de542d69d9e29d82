// Compiled against the generated types by learnwithavi/tests/test_typescript_client.py:
// if the schema stops saying what the frontend relies on, this stops compiling.
import type { components, operations, paths } from "./api";

type Schemas = components["schemas"];

const course: Schemas["CourseOutput"] = {
  id: "3f1c2a9e-8d4b-4c1e-9a7f-2b6d5e8c1a40",
  slug: "מבוא-ללמידת-מכונה",
  title: "מבוא ללמידת מכונה",
  ownerId: "c0ffee00-1234-4abc-9def-0123456789ab",
  ownerName: "Avi",
  isPublished: true,
  videoCount: 3,
  totalDuration: 1800,
  createdAt: "2026-11-24T08:00:00Z",
  updatedAt: "2026-11-24T08:00:00Z",
};
const clerkId: Schemas["UserOutput"]["clerkId"] = null;
const error: Schemas["Error"] = { error: "Not found.", code: "not_found", timestamp: "2026-11-24T08:00:00Z" };
const notFound: operations["courses_retrieve"]["responses"][404]["content"]["application/json"] = error;
const event: Schemas["ChatEvent"] = { type: "done", sources: [], fullContent: "", provider: "local", conversationId: null };
type UsageQuery = NonNullable<paths["/api/usage"]["get"]["parameters"]["query"]>;
const range: UsageQuery = { from: "2026-11-01", to: "2026-11-24" };
export { clerkId, course, event, notFound, range };
