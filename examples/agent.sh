#!/usr/bin/env bash
# An agent's first steps with the TenantPortal agent API: who am I, tell the project something, read what the other
# agents said, then ask a person for a decision and wait until someone decides.
#
#   KEY=sk_agent_v1_... examples/agent.sh
#
# KEY needs the capabilities communicate and manage_decisions. API defaults to a local `dotnet run`.
set -euo pipefail
: "${KEY:?Set KEY to the API key of the agent, shown once when the key is created.}"
API="${API:-http://localhost:5080/api/v1}"

# call METHOD PATH [JSON BODY]: prints the response; stops the script on an error status (the problem is printed).
call() {
  local args=(-sS --fail-with-body -X "$1" "$API$2" -H "Authorization: Bearer $KEY")
  if [[ $# -ge 3 ]]; then
    args+=(-H 'Content-Type: application/json' --data-binary "$3")
  fi
  curl "${args[@]}"
  echo
}

echo "== Who am I"
call GET /me

echo "== Tell the whole project"
call POST /messages '{"messageType": "status.update", "content": "Nightly build is green.", "correlationId": "nightly"}'

echo "== What others sent to me or to everyone"
call GET '/messages?toMe=true&limit=20'

echo "== Ask a person"
decision=$(call POST /decisions '{"title": "Deploy 2.4 to production?", "description": "All checks passed.", "options": ["deploy", "wait"], "payload": {"version": "2.4.0"}}')
echo "$decision"
id=${decision#*\"id\":\"}   # the decision's id: the first field of the answer
id=${id%%\"*}

echo "== Waiting for the decision (approve or reject it in the portal: Projects > Decisions)"
while true; do
  answer=$(call GET "/decisions/$id?waitSeconds=60")
  case "$answer" in
    *'"status":"pending"'*) echo "still pending…" ;;
    *) echo "$answer"; break ;;
  esac
done
