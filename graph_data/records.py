"""The dataset file format, as pydantic models: one model per kind of record.

A dataset file (YAML or JSON) is a mapping of sections, each a list of records.
Field names are camelCase, as in the GraphQL API. Every record names its
``sources``; ``fieldSources`` overrides them for single fields, so a record can
take its name from the article and a full name from reference knowledge
without passing the one off as the other. See docs in the README, "Dataset
format".

Each kind is split in two: ``XFields`` holds the facts that the graph model
stores on the node, ``XRecord`` adds the id, the links to other records and the
sources. Links become edges; only facts live on nodes, so there is one truth.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    PlainSerializer,
    PlainValidator,
    field_validator,
    model_validator,
)
from pydantic.alias_generators import to_camel

from graph_data.dates import PartialDate
from graph_data.integrity import RELATION_KIND_PATTERN, id_problem
from graph_data.kinds import CastRole, NodeKind, SceneKind, SeasonStatus, SourceKind

FORMAT = "showgraph/1"
# An export's history (``showgraph export --with-history``): a list of changes
# (``Change.to_dict``), oldest first, beside the records. The records alone
# make the graph; the history says how it got there.
HISTORY_SECTION = "history"


def _check_id(value: str) -> str:
    problem = id_problem(value)
    if problem is not None:
        raise ValueError(problem)
    return value


def text_problem(value: Any) -> str | None:
    """Why a value (or a string inside it) cannot be stored, or None."""
    if isinstance(value, str):
        if "\x00" in value:
            return "contains a NUL character (\\u0000), which cannot be stored"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "contains a lone surrogate character, which is not valid Unicode text"
        return None
    if isinstance(value, Mapping):
        items: Iterable[Any] = (*value.keys(), *value.values())
    elif isinstance(value, (list, tuple)):
        items = value
    else:
        return None
    for item in items:
        problem = text_problem(item)
        if problem is not None:
            return problem
    return None


def _check_sources(value: tuple[str, ...]) -> tuple[str, ...]:
    if not value:
        raise ValueError("needs at least one source id: every fact names where it comes from")
    return value


Id = Annotated[str, AfterValidator(_check_id)]
SourceIds = Annotated[tuple[Id, ...], AfterValidator(_check_sources)]
Date = Annotated[
    PartialDate,
    PlainValidator(PartialDate.coerce),
    PlainSerializer(PartialDate.iso, return_type=str),
]
# Maximum lengths of free text (docs/api.md, "Limits of input"): far above any real
# name or summary, low enough that one request cannot store megabytes in a field.
NAME_MAX = 200
SHORT_TEXT_MAX = 500
URL_MAX = 2_000
LONG_TEXT_MAX = 20_000


def short_text_problem(text: str) -> str | None:
    """Why a short free text a change carries (its note, its writer) cannot be kept, or None."""
    problem = text_problem(text)
    if problem is None and len(text) > SHORT_TEXT_MAX:
        problem = f"is {len(text)} characters long; at most {SHORT_TEXT_MAX} are kept"
    return problem


Text = Annotated[str, Field(min_length=1, max_length=NAME_MAX)]
ShortText = Annotated[str, Field(max_length=SHORT_TEXT_MAX)]
LongText = Annotated[str, Field(min_length=1, max_length=LONG_TEXT_MAX)]
Url = Annotated[str, Field(max_length=URL_MAX)]
# Numbers and booleans are taken only as themselves: a quoted '5' is text, not 5,
# and 'yes' is not true; pydantic would otherwise convert them silently.
Count = Annotated[int, Field(ge=0, strict=True)]
Flag = Annotated[bool, Field(strict=True)]


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        alias_generator=to_camel,
        populate_by_name=True,
        str_strip_whitespace=True,
    )

    @field_validator("*", mode="before")
    @classmethod
    def _storable_text(cls, value: Any) -> Any:
        """Refuse text that a store cannot keep, the same for every store and the loader.

        PostgreSQL's text and jsonb hold no NUL, and a lone surrogate has no UTF-8
        form; checking here, where every input becomes a record, means the journal
        and PostgreSQL refuse the same input with the same message.
        """
        problem = text_problem(value)
        if problem is not None:
            raise ValueError(problem)
        return value


class Sourced(_Model):
    """Mixin for records that state facts: each one needs its sources."""

    sources: SourceIds
    field_sources: dict[str, SourceIds] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _field_sources_name_fields(self) -> Sourced:
        """A typo in a fieldSources key would silently cite nothing; refuse it."""
        known = {info.alias or name for name, info in type(self).model_fields.items()}
        for key in self.field_sources:
            if key not in known or key in {"id", "sources", "fieldSources"}:
                raise ValueError(f"fieldSources names '{key}', which is not a field of this record")
        return self

    def sources_for(self, field: str) -> tuple[str, ...]:
        """The sources of one field (camelCase name): its override, else the record's."""
        return self.field_sources.get(field, self.sources)


# --- facts stored on nodes -------------------------------------------------


class SourceFields(_Model):
    title: Text
    kind: SourceKind
    url: Url | None = None
    publisher: ShortText | None = None
    published_on: Date | None = None
    note: LongText | None = None


class CreatorFields(_Model):
    name: Text


class WorkFields(_Model):
    title: Text
    kind: Text


class ShowFields(_Model):
    name: Text
    synopsis: LongText | None = None
    genres: tuple[Text, ...] = ()
    network: ShortText | None = None


class Viewership(Sourced):
    """Hours viewed over a reporting window; ``label`` keeps the published wording."""

    hours_viewed: Annotated[float, Field(gt=0, strict=True)]
    period_start: Date | None = None
    period_end: Date | None = None
    label: ShortText | None = None


class SeasonFields(_Model):
    number: Count
    status: SeasonStatus
    premiere_date: Date | None = None
    filming_started: Date | None = None
    filming_ended: Date | None = None
    episode_count: Count | None = None
    released_all_at_once: Flag | None = None
    viewership: tuple[Viewership, ...] = ()


class EpisodeFields(_Model):
    """``title`` may be unknown (an announced episode, a guide without titles): then None."""

    number: Count
    title: Text | None = None
    release_date: Date | None = None


class SceneFields(_Model):
    kind: SceneKind = SceneKind.SCENE
    order: Annotated[int, Field(ge=1, strict=True)] | None = None
    summary: LongText
    location: ShortText | None = None


class CharacterFields(_Model):
    name: Text
    full_name: Text | None = None
    aliases: tuple[Text, ...] = ()


class ActorFields(_Model):
    name: Text


class EventFields(_Model):
    name: Text
    description: LongText | None = None
    location: ShortText | None = None
    organizer: ShortText | None = None
    date: Date | None = None


NodeFields = (
    SourceFields
    | CreatorFields
    | WorkFields
    | ShowFields
    | SeasonFields
    | EpisodeFields
    | SceneFields
    | CharacterFields
    | ActorFields
    | EventFields
)


# --- records as written in a dataset file ------------------------------------


class SourceRecord(SourceFields):
    """A source is its own citation, so it carries no ``sources`` of its own."""

    id: Id


class CreatorRecord(CreatorFields, Sourced):
    id: Id


class WorkRecord(WorkFields, Sourced):
    id: Id
    authors: tuple[Id, ...] = ()


class ShowRecord(ShowFields, Sourced):
    id: Id
    based_on: Id | None = None
    creators: tuple[Id, ...] = ()


class SeasonRecord(SeasonFields, Sourced):
    id: Id
    show: Id


class EpisodeRecord(EpisodeFields, Sourced):
    id: Id
    season: Id


class SceneRecord(SceneFields, Sourced):
    """A scene sits in an episode, or (a still not yet placed) directly in a season."""

    id: Id
    episode: Id | None = None
    season: Id | None = None
    characters: tuple[Id, ...] = ()

    @model_validator(mode="after")
    def _placed(self) -> SceneRecord:
        if self.episode is None and self.season is None:
            raise ValueError("a scene needs an 'episode' or a 'season'")
        return self


class CharacterRecord(CharacterFields, Sourced):
    id: Id
    show: Id


class ActorRecord(ActorFields, Sourced):
    id: Id


class EventRecord(EventFields, Sourced):
    id: Id
    revealed: tuple[Id, ...] = ()


class PortrayalRecord(Sourced):
    """An actor playing a character; ``show`` defaults to the character's show.

    ``episodes`` lists the episodes this actor played the character in, when a
    source says so; when absent, the character's own appearances in the show
    are used.
    """

    actor: Id
    character: Id
    show: Id | None = None
    role: CastRole
    credited_name: Text | None = None
    episodes: tuple[Id, ...] | None = None


class RelationshipRecord(Sourced):
    """A typed link between two characters, read in both directions."""

    from_: Id = Field(alias="from")
    to: Id
    kind: Annotated[str, Field(pattern=RELATION_KIND_PATTERN.pattern)]


class AppearanceRecord(Sourced):
    """A character appearing in an episode without a recorded scene."""

    character: Id
    episode: Id


# Sections of a dataset file, in loading order, with the node kind they create.
NODE_SECTIONS: dict[str, tuple[NodeKind, type[_Model]]] = {
    "sources": (NodeKind.SOURCE, SourceRecord),
    "creators": (NodeKind.CREATOR, CreatorRecord),
    "works": (NodeKind.WORK, WorkRecord),
    "shows": (NodeKind.SHOW, ShowRecord),
    "seasons": (NodeKind.SEASON, SeasonRecord),
    "episodes": (NodeKind.EPISODE, EpisodeRecord),
    "scenes": (NodeKind.SCENE, SceneRecord),
    "characters": (NodeKind.CHARACTER, CharacterRecord),
    "actors": (NodeKind.ACTOR, ActorRecord),
    "events": (NodeKind.EVENT, EventRecord),
}
LINK_SECTIONS: dict[str, type[Sourced]] = {
    "portrayals": PortrayalRecord,
    "relationships": RelationshipRecord,
    "appearances": AppearanceRecord,
}
FIELDS_OF: dict[NodeKind, type[_Model]] = {
    NodeKind.SOURCE: SourceFields,
    NodeKind.CREATOR: CreatorFields,
    NodeKind.WORK: WorkFields,
    NodeKind.SHOW: ShowFields,
    NodeKind.SEASON: SeasonFields,
    NodeKind.EPISODE: EpisodeFields,
    NodeKind.SCENE: SceneFields,
    NodeKind.CHARACTER: CharacterFields,
    NodeKind.ACTOR: ActorFields,
    NodeKind.EVENT: EventFields,
}


def fields_of(kind: NodeKind, record: _Model) -> Any:
    """The facts of a validated record, without its id, links and sources."""
    model = FIELDS_OF[kind]
    values = {name: getattr(record, name) for name in model.model_fields}
    return model.model_construct(**values)
