# ruff: noqa: E501  (prose of the demo listings)
"""Demo content of ``agenthub seed-demo``: publishers, listings (with their agents' instructions)
and reviews. Data only; :mod:`marketplace.seed` writes it."""

from __future__ import annotations

from typing import NamedTuple

PUBLISHERS = {
    "northwind": ("Northwind Studio", "northwind@demo.agenthub.local"),
    "ledger": ("Ledgerline", "ledgerline@demo.agenthub.local"),
    "brightdesk": ("Brightdesk Support Labs", "brightdesk@demo.agenthub.local"),
    "quill": ("Quill & Co", "quill@demo.agenthub.local"),
    "devforge": ("DevForge", "devforge@demo.agenthub.local"),
}
REVIEWERS = ("maria.lopez", "tom.becker", "aiko.tanaka", "sam.okafor", "lena.novak", "raj.patel")
REVIEWER_DOMAIN = "reviewers.demo.agenthub.local"
DEMO_PASSWORD = "demo-password-123"  # noqa: S105  (documented demo accounts, local only)


class DemoListing(NamedTuple):
    """One demo listing: publisher key, title, icon, category, tags, tagline, description,
    the agent's instructions, tools, one example (prompt, answer), plan (kind, cents), and a
    changelog for a second version (``""``: one version only)."""

    publisher: str
    title: str
    icon: str
    category: str
    tags: tuple[str, ...]
    tagline: str
    description: str
    instructions: str
    tools: tuple[str, ...]
    example: tuple[str, str]
    plan: tuple[str, int] = ("free", 0)
    v2: str = ""


def _d(what: str, how: str, who: str) -> str:
    return f"{what}\n\n**How it works.** {how}\n\n**Good for:** {who}"


LISTINGS: tuple[DemoListing, ...] = (
    DemoListing(
        "ledger",
        "Invoice Extractor",
        "🧾",
        "Finance",
        ("invoices", "accounts payable", "ocr"),
        "Pulls totals, due dates and line items out of any invoice text.",
        _d(
            "Paste an invoice and get the vendor, invoice number, due date, currency, tax and every line item back as a clean table.",
            "It reads the text you paste, checks that the line items add up to the total and flags anything that does not.",
            "bookkeepers, small businesses and finance teams closing the month.",
        ),
        "You extract structured data from invoices. Reply with a markdown table and flag arithmetic mismatches.",
        ("calculator",),
        (
            "Extract this: ACME Ltd, INV-2231, 3 x widgets at 12.50, VAT 20%",
            "| Vendor | ACME Ltd |\n|---|---|\n| Invoice | INV-2231 |\n| Subtotal | 37.50 |\n| VAT | 7.50 |\n| Total | 45.00 |",
        ),
        v2="Checks VAT arithmetic and flags totals that do not add up.",
    ),
    DemoListing(
        "ledger",
        "Expense Policy Checker",
        "💳",
        "Finance",
        ("expenses", "compliance", "travel"),
        "Checks expense claims against your travel and spending policy.",
        _d(
            "Describe an expense claim and the agent tells you whether it fits a typical company policy, and why.",
            "It applies common rules (per-diem limits, receipts over a threshold, alcohol, class of travel) and explains each finding.",
            "finance reviewers and employees who want a claim approved the first time.",
        ),
        "You review expense claims against common corporate expense policies. Be specific and cite the rule.",
        (),
        (
            "Dinner with a client, 2 people, 180 EUR including wine, no receipt",
            "Two issues: a receipt is required above 25 EUR, and alcohol is usually reimbursable only with client entertainment approval.",
        ),
    ),
    DemoListing(
        "ledger",
        "Cash Flow Forecaster",
        "📈",
        "Finance",
        ("cash flow", "forecast", "budgeting"),
        "Turns your receivables and payables into a 13-week cash forecast.",
        _d(
            "List expected receipts and payments and get a week-by-week cash forecast with the weeks where you run short highlighted.",
            "It sums inflows and outflows per week, carries the balance forward and calls out the lowest point.",
            "founders, controllers and anyone who has to make payroll.",
        ),
        "You build 13-week cash flow forecasts from the user's inflows and outflows. Use a markdown table.",
        ("calculator",),
        (
            "Opening balance 20k; payroll 15k every 2 weeks; customer pays 30k in week 3",
            "Week 2 is your low point at 5k; after the week-3 receipt the balance recovers to 35k.",
        ),
        plan=("monthly", 1900),
    ),
    DemoListing(
        "ledger",
        "Payment Reconciler",
        "🔁",
        "Finance",
        ("reconciliation", "bank", "payments"),
        "Matches bank statement lines to open invoices and explains the leftovers.",
        _d(
            "Paste bank lines and open invoices; the agent pairs them up, including partial and combined payments.",
            "It matches by amount, reference and date window, and lists what stays unmatched with a likely reason.",
            "accounts receivable teams reconciling payments every week.",
        ),
        "You reconcile bank transactions against open invoices and explain unmatched items.",
        ("calculator",),
        (
            "Bank: 1,250.00 ref 'INV 88/89'. Open: INV-88 500.00, INV-89 750.00",
            "Both invoices are paid by the single 1,250.00 transfer (combined payment).",
        ),
    ),
    DemoListing(
        "brightdesk",
        "Support Reply Drafter",
        "💬",
        "Customer support",
        ("helpdesk", "email", "tone"),
        "Drafts calm, accurate replies to customer support tickets.",
        _d(
            "Paste a customer's message and get a friendly, concise reply that answers the question and sets expectations.",
            "It identifies the customer's actual problem, acknowledges it once and proposes the next step without over-promising.",
            "support teams that want consistent replies in less time.",
        ),
        "You draft customer support replies: empathetic, short, concrete next step, no promises you cannot keep.",
        (),
        (
            "My order #5521 arrived broken and I need it by Friday!",
            "I'm sorry your order arrived damaged. I've sent a replacement with express shipping; it should arrive Thursday. You don't need to return the broken item.",
        ),
        v2="Shorter replies and a clear next step in the first sentence.",
    ),
    DemoListing(
        "brightdesk",
        "Ticket Triage",
        "🏷️",
        "Customer support",
        ("triage", "routing", "priority"),
        "Labels incoming tickets by topic, urgency and sentiment.",
        _d(
            "Send a batch of tickets and get each one tagged with a category, a priority from P1 to P4 and the customer's mood.",
            "It reads every ticket for outage words, billing keywords and legal risk, then explains each P1 in one line.",
            "support leads who route tickets across teams.",
        ),
        "You triage support tickets into category, priority (P1-P4) and sentiment. Output a table.",
        (),
        (
            "1) Can't log in since this morning, whole team blocked 2) How do I change my invoice address?",
            "| # | Category | Priority |\n|---|---|---|\n| 1 | Access | P1 |\n| 2 | Billing | P4 |",
        ),
    ),
    DemoListing(
        "brightdesk",
        "Refund Policy Assistant",
        "↩️",
        "Customer support",
        ("refunds", "returns", "policy"),
        "Answers refund and return questions from your policy text.",
        _d(
            "Give it your refund policy once, then ask whether a specific case qualifies.",
            "It quotes the clause that applies and says what the customer must do next.",
            "e-commerce support teams and shop owners.",
        ),
        "You decide whether refund requests qualify under the store policy and quote the clause you used.",
        (),
        (
            "Bought 40 days ago, unopened, policy says 30 days",
            "Not eligible for a refund (clause 2: 30 days). You may offer store credit as a goodwill gesture.",
        ),
    ),
    DemoListing(
        "brightdesk",
        "FAQ Builder",
        "❓",
        "Customer support",
        ("faq", "knowledge base", "self-service"),
        "Turns a pile of resolved tickets into a tidy FAQ page.",
        _d(
            "Paste resolved tickets and receive grouped, deduplicated questions with short answers.",
            "It clusters similar questions, writes one canonical answer per cluster and orders them by how often they came up.",
            "teams building a help centre or deflecting repeat tickets.",
        ),
        "You write FAQ entries from resolved support tickets: group duplicates, answer briefly.",
        (),
        (
            "Tickets: 'how to reset password', 'forgot my password', 'change email address'",
            "**How do I reset my password?** Use 'Forgot password' on the sign-in page...",
        ),
    ),
    DemoListing(
        "brightdesk",
        "Customer Sentiment Digest",
        "🌡️",
        "Customer support",
        ("sentiment", "nps", "feedback"),
        "Summarises a week of feedback into themes and quotes.",
        _d(
            "Drop in survey answers or reviews and get the top themes, how people feel about each and quotes to share with the team.",
            "It groups comments by theme, scores sentiment and picks representative quotes.",
            "product managers and support leads preparing a weekly review.",
        ),
        "You summarise customer feedback into themes with sentiment and representative quotes.",
        (),
        (
            "'Love the app but sync is slow', 'sync failed twice', 'great support team'",
            "**Sync reliability** (negative, 2 mentions)... **Support** (positive, 1 mention).",
        ),
        plan=("per_run", 5),
    ),
    DemoListing(
        "quill",
        "Blog Post Writer",
        "✍️",
        "Writing",
        ("blog", "seo", "content"),
        "Writes a structured first draft of a blog post from a short brief.",
        _d(
            "Give it a topic, audience and three points; it returns a titled draft with headings, an intro and a call to action.",
            "It outlines first, then writes each section in plain language and keeps to your target length.",
            "marketers, founders and freelance writers.",
        ),
        "You write blog post drafts from a brief: clear headings, short paragraphs, no fluff.",
        (),
        (
            "Topic: remote onboarding for engineers. Audience: CTOs. 800 words.",
            "# Remote onboarding that works for engineers\n\n## Start before day one...",
        ),
        v2="Adds a suggested meta description and title variants.",
    ),
    DemoListing(
        "quill",
        "Newsletter Editor",
        "📰",
        "Writing",
        ("newsletter", "editing", "email"),
        "Tightens your newsletter draft and suggests a subject line.",
        _d(
            "Paste your draft; get it back shorter and clearer, with three subject lines to test.",
            "It cuts filler, fixes flow between sections and keeps your voice.",
            "creators and companies sending a weekly email.",
        ),
        "You edit newsletters for clarity and brevity while keeping the author's voice.",
        (),
        (
            "Edit: 'This week we have been super busy working on lots of really exciting things...'",
            "This week we shipped three things you asked for:...",
        ),
    ),
    DemoListing(
        "quill",
        "Press Release Drafter",
        "📣",
        "Sales & marketing",
        ("press release", "pr", "launch"),
        "Drafts a press release in the standard format from your announcement notes.",
        _d(
            "Tell it what you are announcing and it writes headline, dateline, lead paragraph, quote and boilerplate.",
            "It follows the inverted pyramid and keeps claims factual.",
            "startups and communications teams announcing launches.",
        ),
        "You write press releases in AP style from announcement notes. Keep claims factual.",
        (),
        (
            "We launch offline mode for our note app on March 3",
            "**Notely Launches Offline Mode, Letting Teams Write Anywhere**\n\nBERLIN, March 3 —...",
        ),
    ),
    DemoListing(
        "quill",
        "Product Description Writer",
        "🛍️",
        "Sales & marketing",
        ("e-commerce", "copywriting", "products"),
        "Turns product specs into persuasive shop descriptions.",
        _d(
            "Paste specs and get a short description, bullet benefits and a longer story version.",
            "It translates features into benefits for the buyer and keeps sizes and materials exact.",
            "online shops with many products to describe.",
        ),
        "You write e-commerce product descriptions from specs: benefits first, exact facts.",
        (),
        (
            "Merino wool beanie, 100% merino, one size, 5 colours",
            "Stay warm without the itch: our 100% merino beanie regulates temperature...",
        ),
        plan=("monthly", 900),
    ),
    DemoListing(
        "quill",
        "Grammar and Style Coach",
        "📝",
        "Writing",
        ("grammar", "style", "proofreading"),
        "Proofreads your text and explains each correction.",
        _d(
            "Paste any text; it fixes grammar, spelling and awkward phrasing and explains the rules behind the changes.",
            "Corrections come as a list with before and after, so you learn as you go.",
            "non-native writers, students and busy professionals.",
        ),
        "You proofread text and explain each correction briefly with the rule behind it.",
        (),
        (
            "Their going to the office tomorow",
            "They're going to the office tomorrow. (*their* -> *they're*: contraction of 'they are'; spelling of *tomorrow*)",
        ),
    ),
    DemoListing(
        "northwind",
        "Meeting Notes Summarizer",
        "🗒️",
        "Productivity",
        ("meetings", "notes", "action items"),
        "Turns raw meeting notes into decisions, action items and owners.",
        _d(
            "Paste notes or a transcript; get decisions, action items with owners and deadlines, and open questions.",
            "It separates what was decided from what was discussed and assigns owners only when named.",
            "teams who want every meeting to end with a clear list.",
        ),
        "You summarise meeting notes into decisions, action items (owner, due date) and open questions.",
        ("create_task",),
        (
            "Notes: Ana will send the budget by Friday, we agreed to delay launch to May",
            "**Decisions:** launch moves to May.\n**Actions:** Ana — send budget (Fri).",
        ),
        v2="Can create tasks for the action items it finds.",
    ),
    DemoListing(
        "northwind",
        "Weekly Planner",
        "🗓️",
        "Productivity",
        ("planning", "calendar", "priorities"),
        "Plans your week around your priorities and fixed meetings.",
        _d(
            "List your goals and fixed commitments; get a realistic week with focus blocks and buffers.",
            "It sizes each task, protects deep-work time and leaves slack for surprises.",
            "anyone whose week fills up before Monday is over.",
        ),
        "You plan the user's week into time blocks around fixed meetings, protecting focus time.",
        ("current_datetime",),
        (
            "Goals: finish report (6h), hire designer. Meetings Tue/Thu 10-12",
            "**Mon** 9-12 report · **Tue** 13-16 report · **Wed** 9-11 interview prep...",
        ),
    ),
    DemoListing(
        "northwind",
        "Email Inbox Triage",
        "📥",
        "Productivity",
        ("email", "inbox zero", "priorities"),
        "Sorts a list of emails into reply now, delegate, read later and archive.",
        _d(
            "Paste subject lines and snippets; get each email sorted with a one-line suggested reply for the urgent ones.",
            "It looks for deadlines, senders who wait on you and newsletters you never read.",
            "busy managers drowning in email.",
        ),
        "You triage emails into reply now / delegate / read later / archive with one-line reply suggestions.",
        (),
        (
            "1) 'Contract needs signature today' 2) 'Weekly digest' 3) 'Can you review Tom's deck?'",
            "**Reply now:** 1 · **Delegate:** 3 · **Archive:** 2",
        ),
    ),
    DemoListing(
        "northwind",
        "Research Brief",
        "🔎",
        "Research",
        ("research", "web", "sources"),
        "Researches a question on the web and writes a sourced brief.",
        _d(
            "Ask a question; it reads a handful of relevant web pages and writes a one-page brief with links.",
            "It fetches pages you can check, compares what they say and notes where sources disagree.",
            "analysts, journalists and curious people who want sources.",
        ),
        "You research questions by fetching web pages and write short briefs citing each source.",
        ("fetch_webpage",),
        (
            "What is the EU AI Act's timeline?",
            "The Act entered into force in August 2024; bans apply from February 2025... (sources linked)",
        ),
        v2="Notes where sources disagree and links every claim.",
    ),
    DemoListing(
        "northwind",
        "Competitor Watch",
        "🕵️",
        "Research",
        ("competitors", "market", "pricing"),
        "Compares competitor pages and summarises pricing and positioning.",
        _d(
            "Give it competitor URLs; it summarises what each sells, for whom and at what price.",
            "It fetches the pages, extracts plans and claims, and lays them side by side.",
            "product marketers and founders watching their market.",
        ),
        "You compare competitor web pages: offering, audience, pricing. Use a comparison table.",
        ("fetch_webpage",),
        (
            "Compare the pricing pages of two note-taking apps",
            "| | App A | App B |\n|---|---|---|\n| Free tier | yes | no |...",
        ),
        plan=("monthly", 2900),
    ),
    DemoListing(
        "northwind",
        "Literature Review Helper",
        "📚",
        "Research",
        ("academic", "papers", "summaries"),
        "Summarises papers and groups them by method and finding.",
        _d(
            "Paste abstracts; get a structured review grouped by method with agreements and gaps.",
            "It extracts question, method, sample and finding from each abstract and compares them.",
            "students and researchers starting a literature review.",
        ),
        "You summarise academic abstracts and group them by method and finding; point out gaps.",
        (),
        (
            "Three abstracts on remote work and productivity",
            "**Surveys (2)** find self-reported gains; **the field experiment (1)** finds a 13% increase...",
        ),
    ),
    DemoListing(
        "devforge",
        "SQL Query Helper",
        "🗄️",
        "Developer tools",
        ("sql", "postgres", "queries"),
        "Writes and explains SQL for your schema.",
        _d(
            "Describe your tables and what you want to know; get a query with an explanation of each clause.",
            "It asks for the schema when needed, prefers readable joins and warns about slow patterns.",
            "analysts and developers who write SQL now and then.",
        ),
        "You write correct, readable SQL for the user's schema and explain each clause briefly.",
        (),
        (
            "orders(id, customer_id, total, created_at): monthly revenue for 2025",
            "SELECT date_trunc('month', created_at) AS month, sum(total) FROM orders WHERE ... GROUP BY 1 ORDER BY 1;",
        ),
    ),
    DemoListing(
        "devforge",
        "Regex Explainer",
        "🔣",
        "Developer tools",
        ("regex", "parsing", "strings"),
        "Explains regular expressions piece by piece and writes new ones.",
        _d(
            "Paste a regex to have it explained, or describe what to match and get one with test cases.",
            "It breaks the pattern into parts and lists strings that do and do not match.",
            "developers who meet a regex once a month.",
        ),
        "You explain regular expressions token by token and write new ones with test cases.",
        (),
        (
            "^\\d{3}-\\d{4}$",
            "`^` start · `\\d{3}` three digits · `-` a dash · `\\d{4}` four digits · `$` end. Matches 555-1234.",
        ),
    ),
    DemoListing(
        "devforge",
        "Code Review Buddy",
        "🧑‍💻",
        "Developer tools",
        ("code review", "python", "bugs"),
        "Reviews a diff for bugs, security issues and readability.",
        _d(
            "Paste a diff or a function; get review comments ordered by severity with suggested fixes.",
            "It looks for correctness first, then security and error handling, then naming and style.",
            "solo developers and small teams without a second reviewer.",
        ),
        "You review code diffs: bugs first, then security, then readability. Suggest concrete fixes.",
        (),
        (
            "def avg(xs): return sum(xs)/len(xs)",
            "**Bug:** division by zero on an empty list. Suggest: `if not xs: return 0.0` or raise a clear error.",
        ),
        v2="Adds security checks for SQL injection and unsafe deserialisation.",
    ),
    DemoListing(
        "devforge",
        "API Docs Writer",
        "📘",
        "Developer tools",
        ("api", "documentation", "openapi"),
        "Writes endpoint documentation with examples from your code or spec.",
        _d(
            "Paste a route handler or an OpenAPI fragment; get reference docs with request and response examples.",
            "It documents parameters, errors and authentication, and writes a curl example for each endpoint.",
            "teams whose API docs lag behind the code.",
        ),
        "You write API reference documentation with parameters, errors and curl examples.",
        (),
        (
            "POST /v1/invoices {customer_id, items[]}",
            "### Create an invoice\n`POST /v1/invoices`\n\n| Field | Type | Required |...",
        ),
        plan=("per_run", 10),
    ),
    DemoListing(
        "devforge",
        "Incident Postmortem Writer",
        "🚒",
        "Developer tools",
        ("incidents", "sre", "postmortem"),
        "Turns an incident timeline into a blameless postmortem.",
        _d(
            "Paste the timeline and chat log; get summary, impact, root cause, contributing factors and follow-ups.",
            "It keeps the tone blameless and turns each contributing factor into an owned action item.",
            "on-call engineers after a long night.",
        ),
        "You write blameless incident postmortems: summary, impact, root cause, factors, actions.",
        ("current_datetime",),
        (
            "12:02 alerts, 12:10 rollback started, 12:25 recovered; cause: config typo",
            "**Impact:** 23 minutes of elevated errors... **Root cause:** an unvalidated config change...",
        ),
    ),
    DemoListing(
        "quill",
        "Lesson Plan Creator",
        "🍎",
        "Education",
        ("teaching", "lesson plans", "schools"),
        "Creates a lesson plan with objectives, activities and a quick quiz.",
        _d(
            "Give a topic, age group and duration; get objectives, a timed sequence of activities and five quiz questions.",
            "It aligns activities to the objectives and mixes explanation, practice and checks.",
            "teachers and tutors planning the next lesson.",
        ),
        "You create lesson plans with objectives, timed activities and a short quiz.",
        (),
        (
            "Photosynthesis, age 12, 45 minutes",
            "**Objectives:** explain inputs and outputs... **0-10 min** starter question...",
        ),
        v2="Adds differentiation ideas for mixed-ability classes.",
    ),
    DemoListing(
        "quill",
        "Language Tutor (Spanish)",
        "🇪🇸",
        "Education",
        ("spanish", "language", "practice"),
        "Chat in Spanish and get gentle corrections as you go.",
        _d(
            "Have a conversation at your level; the tutor replies in Spanish and corrects your mistakes after each message.",
            "It adapts vocabulary to your level and keeps a list of your recurring errors.",
            "learners from A2 to B2 who want speaking practice.",
        ),
        "You are a patient Spanish tutor. Reply in Spanish at the learner's level, then list corrections.",
        (),
        (
            "Yo soy cansado hoy",
            "¡Vaya! ¿Por qué estás cansado? — *Corrección:* 'estoy cansado' (estar for temporary states).",
        ),
    ),
    DemoListing(
        "brightdesk",
        "Job Description Writer",
        "🧑‍💼",
        "HR & recruiting",
        ("hiring", "job ads", "recruiting"),
        "Writes inclusive job descriptions from a role brief.",
        _d(
            "Describe the role and team; get a job description with responsibilities, requirements and a salary range line.",
            "It separates must-haves from nice-to-haves and avoids exclusionary wording.",
            "hiring managers and recruiters.",
        ),
        "You write inclusive job descriptions: responsibilities, must-haves, nice-to-haves, benefits.",
        (),
        ("Senior backend engineer, Go, fintech, remote EU", "## Senior Backend Engineer (Go)\n**What you'll do:** ..."),
    ),
    DemoListing(
        "brightdesk",
        "Interview Question Generator",
        "🎤",
        "HR & recruiting",
        ("interviews", "hiring", "competencies"),
        "Creates structured interview questions with scoring guides.",
        _d(
            "Name the role and competencies; get behavioural questions with what good, average and weak answers sound like.",
            "Questions follow the STAR pattern and map to the competencies you care about.",
            "interview panels that want fair, comparable interviews.",
        ),
        "You create structured interview questions with scoring rubrics per competency.",
        (),
        (
            "Product manager: prioritisation, stakeholder management",
            "**Tell me about a time you said no to a stakeholder.** Strong answer: ...",
        ),
    ),
    DemoListing(
        "ledger",
        "Contract Clause Explainer",
        "⚖️",
        "Legal",
        ("contracts", "clauses", "plain english"),
        "Explains contract clauses in plain English and flags unusual terms.",
        _d(
            "Paste a clause; get a plain-English explanation, who it favours and questions to ask before signing.",
            "It compares the clause with common market wording and highlights one-sided terms. Not legal advice.",
            "founders and freelancers reading contracts without a lawyer on call.",
        ),
        "You explain contract clauses in plain English, flag one-sided terms, and note this is not legal advice.",
        (),
        (
            "Either party may terminate with 90 days notice; Client may terminate immediately for convenience.",
            "Termination is one-sided: the client can leave at once while you must give 90 days. Ask for mutual notice.",
        ),
    ),
)

REVIEW_TEXTS = (
    (5, "Saved me hours this week. The output needed almost no editing."),
    (4, "Very useful. Occasionally too verbose, but the structure is great."),
    (5, "Exactly what I needed, and the examples on the page are honest."),
    (3, "Good start, but I had to correct a few details."),
    (4, "Solid and fast. Would love more formatting options."),
    (5, "Our whole team uses it now."),
)
