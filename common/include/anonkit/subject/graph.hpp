// The subject graph: tables, the references between them (declared foreign keys, anonkit.links,
// anonkit.owned_parents) and, per subject kind, the plan: which tables can hold a subject's rows,
// which references are followed, which tables may hold rows shared with other people, and the
// order rows can be deleted in. Storage-agnostic: the worker fills it from pg_catalog; the
// row-level decision (ownership.hpp) runs over it.
#pragma once

#include <map>
#include <set>
#include <string>
#include <vector>

namespace anonkit::subject {

enum class RefKind {
  kForeignKey,   // declared and enforced by the database
  kLink,         // anonkit.links: followed like a foreign key, not enforced
  kOwnedParent,  // anonkit.owned_parents: the parent row is the data of the child row's owner
};

enum class OnDelete { kNoAction, kRestrict, kCascade, kSetNull, kSetDefault };

// child.child_columns -> parent.parent_columns, column by column.
struct Reference {
  std::string name;  // constraint name, "link N" or "owned parent N"
  std::string child, parent;
  std::vector<std::string> child_columns, parent_columns;
  RefKind kind = RefKind::kForeignKey;
  OnDelete on_delete = OnDelete::kNoAction;
  bool deferrable = false;  // can be checked at commit (SET CONSTRAINTS ... DEFERRED)
  bool nullable = true;     // every child column accepts NULL

  [[nodiscard]] bool declared() const noexcept { return kind == RefKind::kForeignKey; }
};

enum class PolicyAction { kDelete, kMask };

struct Graph {
  std::vector<Reference> references;
  std::set<std::string> root_tables;             // every subject kind's table
  std::map<std::string, PolicyAction> policies;  // anonkit.erasure_policy, by table
};

// What a reached table's rows are to the subject, as far as the schema can tell.
enum class Role {
  kRoot,         // the subject's own row
  kOwned,        // reached through the subject's rows; every owner path can only lead to them
  kMayBeShared,  // a row may also have an owner path to someone else: decided row by row
  kOwnedParent,  // reached only through anonkit.owned_parents: theirs unless referenced elsewhere
};

struct TablePlan {
  std::string table;
  Role role = Role::kOwned;
  std::vector<std::size_t> reached_by;  // references (indexes) that lead here
  std::vector<std::size_t> shared_by;   // owner references that can make a row shared
  bool kept = false;                    // an erasure_policy with action mask
  std::string reason;                   // why the role and the action, for `plan`
};

struct Plan {
  std::string root;
  std::vector<TablePlan> tables;    // reached tables, root first, in traversal order
  std::vector<std::size_t> down;    // followed from a reached parent to its child rows
  std::vector<std::size_t> up;      // owned parents: followed from a child row to its parent
  std::vector<std::size_t> owner;   // owner references (child -> parent) of reached tables
  std::vector<std::size_t> detach;  // references from other subjects' tables into reached ones
  std::vector<std::string> deletion_order;  // children before parents
  std::vector<std::size_t> null_first;      // set to NULL before deleting (breaks a cycle)
  std::vector<std::size_t> deferred;        // deferrable: checked at commit (breaks a cycle)
  // Why an erase cannot run (access still can): a table reached through ON DELETE SET NULL or
  // SET DEFAULT without an erasure_policy row.
  std::vector<std::string> erase_blockers;

  [[nodiscard]] const TablePlan* table(const std::string& name) const noexcept;
  [[nodiscard]] bool reached(const std::string& name) const noexcept { return table(name); }
};

// True for references that make the child row belong to whoever owns the parent row (foreign
// keys and links not declared as owned parents).
[[nodiscard]] bool is_owner_reference(const Graph& graph, std::size_t index);

// Tables whose rows can have an owner path to some subject's root row.
[[nodiscard]] std::set<std::string> capable_tables(const Graph& graph);

// Plans from `root` (in graph.root_tables). Throws InvalidArgument when a cycle among the reached
// tables has neither a nullable nor a deferrable foreign key to break it, naming the tables.
[[nodiscard]] Plan make_plan(const Graph& graph, const std::string& root);

[[nodiscard]] const char* role_name(Role role) noexcept;

// EXPLAIN-like text: per table the role, the action and the reason; detached references, the
// deletion order and what blocks an erase.
[[nodiscard]] std::string describe(const Graph& graph, const Plan& plan);

}  // namespace anonkit::subject
