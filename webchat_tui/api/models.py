"""Pydantic v2 wire models for every schema of the Web Chat v2 contract (guest swagger + admin fragment).

Conventions (see `ApiModel`): camelCase on the wire, snake_case in Python (both accepted when building),
unknown fields kept (``extra="allow"``), unknown enum values kept as plain strings instead of failing,
`to_wire()` drops ``None`` fields. Secrets (`jwt`, `member_auth_token`) are left out of reprs.
Every model parsed from a response (`RemoteModel`) makes every remote string inert before validation and
rejects an ``id`` that could not safely become a URL path segment (`is_valid_id`).
"""

from __future__ import annotations

from datetime import datetime
from enum import Enum, StrEnum
from typing import Annotated, Any, TypeVar

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator
from pydantic.alias_generators import to_camel

from webchat_tui.api.session_types import MemberRole, MemberState
from webchat_tui.api.validation import is_valid_id
from webchat_tui.sanitize import sanitize_json, sanitize_line, sanitize_text

__all__ = [
    "ApiModel",
    "RemoteModel",
    "TargetType",
    "MemberRole",
    "MemberState",
    "BodyType",
    "MediaRequestType",
    "MediaRequestState",
    "WebChatSkin",
    "WebChatRoutingTarget",
    "GuestMemberInfo",
    "JourneyCustomer",
    "JourneyCustomerSession",
    "JourneyActionMap",
    "JourneyAction",
    "JourneyContext",
    "CreateWebChatConversationRequest",
    "WebChatMemberInfo",
    "CreateWebChatConversationResponse",
    "WebChatConversation",
    "CreateWebChatMessageRequest",
    "WebChatMessage",
    "WebChatTyping",
    "WebChatGuestMediaRequest",
    "WebChatGuestMediaRequestEntityList",
    "WebChatMemberInfoEntityList",
    "WebChatMessageEntityList",
    "Detail",
    "Limit",
    "ErrorBody",
    "WebChatConfig",
    "DomainEntityRef",
    "WebChatDeployment",
    "WebChatDeploymentEntityListing",
    "WebChatSettings",
    "OAuthToken",
]

E = TypeVar("E", bound=Enum)


def _lenient(enum: type[E]) -> Any:
    """A before-validator: a known value (any case) becomes the enum member, anything else stays a string."""
    lookup = {str(m.value).lower(): m for m in enum}

    def convert(value: Any) -> Any:
        if isinstance(value, str):
            return lookup.get(value.lower(), value)
        return value

    return BeforeValidator(convert)


class TargetType(StrEnum):
    """`WebChatRoutingTarget.targetType`."""

    QUEUE = "QUEUE"


class BodyType(StrEnum):
    """`WebChatMessage.bodyType` / `CreateWebChatMessageRequest.bodyType`."""

    STANDARD = "standard"
    NOTICE = "notice"
    MEMBER_JOIN = "member-join"
    MEMBER_LEAVE = "member-leave"
    MEDIA_REQUEST = "media-request"


class MediaRequestType(StrEnum):
    """`WebChatGuestMediaRequest.types` items."""

    COBROWSE = "COBROWSE"
    SCREENSHARE = "SCREENSHARE"


class MediaRequestState(StrEnum):
    """`WebChatGuestMediaRequest.state`."""

    PENDING = "PENDING"
    ACCEPTED = "ACCEPTED"
    DECLINED = "DECLINED"
    TIMEDOUT = "TIMEDOUT"
    CANCELLED = "CANCELLED"
    ERRORED = "ERRORED"


class WebChatSkin(StrEnum):
    """`WebChatConfig.webChatSkin`."""

    BASIC = "basic"
    MODERN_CARET_SKIN = "modern-caret-skin"


TargetTypeField = Annotated[TargetType | str, _lenient(TargetType)]
MemberRoleField = Annotated[MemberRole | str, _lenient(MemberRole)]
MemberStateField = Annotated[MemberState | str, _lenient(MemberState)]
BodyTypeField = Annotated[BodyType | str, _lenient(BodyType)]
MediaRequestTypeField = Annotated[MediaRequestType | str, _lenient(MediaRequestType)]
MediaRequestStateField = Annotated[MediaRequestState | str, _lenient(MediaRequestState)]
WebChatSkinField = Annotated[WebChatSkin | str, _lenient(WebChatSkin)]
RemoteText = Annotated[str, AfterValidator(sanitize_text)]
RemoteLine = Annotated[str, AfterValidator(sanitize_line)]


class ApiModel(BaseModel):
    """Base of every wire model: camelCase aliases, snake_case names accepted, unknown fields kept."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        populate_by_name=True,
        serialize_by_alias=True,
        extra="allow",
        use_enum_values=False,
    )

    def to_wire(self) -> dict[str, Any]:
        """The JSON-ready dict sent on the wire: camelCase keys, ``None`` fields left out."""
        return self.model_dump(mode="json", by_alias=True, exclude_none=True)


class RemoteModel(ApiModel):
    """Base of the models parsed from responses: every string made inert, every ``id`` checked."""

    @model_validator(mode="before")
    @classmethod
    def _inert(cls, data: Any) -> Any:
        if isinstance(data, dict):
            identifier = data.get("id")
            if identifier is not None and not is_valid_id(identifier):
                raise ValueError("the id is not usable (empty, too long, or holds '/', '..' or controls)")
            return sanitize_json(data)
        return data


# ------------------------------------------------------------------------------------------------------------
# Guest chat


class WebChatRoutingTarget(ApiModel):
    """Where to route the chat: a queue by name, optionally with skills, language and priority."""

    target_type: TargetTypeField = TargetType.QUEUE
    target_address: str
    skills: list[str] | None = None
    language: str | None = None
    priority: int | None = None


class GuestMemberInfo(ApiModel):
    """The guest's details sent when creating a chat (`displayName` is required)."""

    display_name: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone_number: str | None = None
    avatar_image_url: str | None = None
    custom_fields: dict[str, str] | None = None


class JourneyCustomer(ApiModel):
    """`JourneyContext.customer`."""

    id: str
    id_type: str


class JourneyCustomerSession(ApiModel):
    """`JourneyContext.customerSession`."""

    id: str
    type: str


class JourneyActionMap(ApiModel):
    """`JourneyAction.actionMap`."""

    id: str
    version: int


class JourneyAction(ApiModel):
    """`JourneyContext.triggeringAction`."""

    id: str
    action_map: JourneyActionMap


class JourneyContext(ApiModel):
    """Predictive-engagement context attached to a new chat."""

    customer: JourneyCustomer
    customer_session: JourneyCustomerSession | None = None
    triggering_action: JourneyAction | None = None


class CreateWebChatConversationRequest(ApiModel):
    """Body of `postWebchatGuestConversations`."""

    organization_id: str
    deployment_id: str
    routing_target: WebChatRoutingTarget
    member_info: GuestMemberInfo
    member_auth_token: str | None = Field(default=None, repr=False)
    journey_context: JourneyContext | None = None


class WebChatMemberInfo(RemoteModel):
    """A member of a chat as the API returns it (events carry only `id` and `state`)."""

    id: str | None = None
    display_name: RemoteLine | None = None
    first_name: RemoteLine | None = None
    last_name: RemoteLine | None = None
    email: RemoteLine | None = None
    phone_number: RemoteLine | None = None
    avatar_image_url: RemoteLine | None = None
    role: MemberRoleField | None = None
    join_date: datetime | None = None
    leave_date: datetime | None = None
    authenticated_guest: bool | None = None
    custom_fields: dict[str, str] | None = None
    state: MemberStateField | None = None


class CreateWebChatConversationResponse(RemoteModel):
    """Response of `postWebchatGuestConversations`: conversation id, guest JWT, event stream URI, guest
    member."""

    id: str
    jwt: str = Field(repr=False)
    event_stream_uri: str = Field(repr=False)
    member: WebChatMemberInfo


class WebChatConversation(RemoteModel):
    """Reference to a conversation (in practice only `id` and `selfUri`)."""

    id: str | None = None
    name: str | None = None
    member: WebChatMemberInfo | None = None
    self_uri: str | None = None


class CreateWebChatMessageRequest(ApiModel):
    """Body of `postWebchatGuestConversationMemberMessages`."""

    body: str
    body_type: BodyTypeField | None = None


class WebChatMessage(RemoteModel):
    """A chat message (standard text or a system line such as member-join or media-request)."""

    id: str
    name: str | None = None
    conversation: WebChatConversation | None = None
    sender: WebChatMemberInfo
    body: RemoteText = ""
    body_type: BodyTypeField = BodyType.STANDARD
    timestamp: datetime
    self_uri: str | None = None


class WebChatTyping(RemoteModel):
    """Response of `postWebchatGuestConversationMemberTyping` (and the body of a typing event)."""

    id: str
    conversation: WebChatConversation | None = None
    sender: WebChatMemberInfo
    timestamp: datetime


class WebChatGuestMediaRequest(RemoteModel):
    """A co-browse / screen-share request. As a PATCH body only `state` is needed."""

    id: str | None = None
    name: str | None = None
    types: list[MediaRequestTypeField] | None = None
    state: MediaRequestStateField | None = None
    communication_id: str | None = None
    security_key: str | None = Field(default=None, repr=False)
    self_uri: str | None = None


class WebChatGuestMediaRequestEntityList(RemoteModel):
    """Response of `getWebchatGuestConversationMediarequests` (not paginated)."""

    entities: list[WebChatGuestMediaRequest] = Field(default_factory=list)


class WebChatMemberInfoEntityList(RemoteModel):
    """A page of members (page-number paging)."""

    entities: list[WebChatMemberInfo] = Field(default_factory=list)
    page_size: int | None = None
    page_number: int | None = None
    total: int | None = None
    first_uri: str | None = None
    last_uri: str | None = None
    self_uri: str | None = None
    previous_uri: str | None = None
    next_uri: str | None = None
    page_count: int | None = None

    @property
    def has_next_page(self) -> bool:
        """True when the server says there is another page."""
        if self.next_uri:
            return True
        if self.page_count is not None and self.page_number is not None:
            return self.page_number < self.page_count
        return False


class WebChatMessageEntityList(RemoteModel):
    """A page of messages (cursor paging: `next` / `previousPage` may be a URI or a bare id)."""

    page_size: int | None = None
    entities: list[WebChatMessage] = Field(default_factory=list)
    previous_page: str | None = None
    next: str | None = None
    self_uri: str | None = None

    @property
    def has_next_page(self) -> bool:
        """True when the server says there are more messages after this page."""
        return bool(self.next) and bool(self.entities)


# ------------------------------------------------------------------------------------------------------------
# Errors


class Detail(RemoteModel):
    """`ErrorBody.details[]`."""

    error_code: str | None = None
    field_name: str | None = None
    entity_id: str | None = None
    entity_name: str | None = None


class Limit(RemoteModel):
    """`ErrorBody.limit` (namespace kept as a string: the enum is long and grows)."""

    key: str | None = None
    namespace: str | None = None
    value: int | None = None


class ErrorBody(RemoteModel):
    """The body of every error response."""

    message: str | None = None
    code: str | None = None
    status: int | None = None
    entity_id: str | None = None
    entity_name: str | None = None
    message_with_params: str | None = None
    message_params: dict[str, str] | None = None
    context_id: str | None = None
    details: list[Detail] | None = None
    errors: list[ErrorBody] | None = None
    limit: Limit | None = None


# ------------------------------------------------------------------------------------------------------------
# Admin


class WebChatConfig(RemoteModel):
    """Widget look of a deployment."""

    web_chat_skin: WebChatSkinField | None = None


class DomainEntityRef(RemoteModel):
    """Reference to another entity (the deployment's inbound chat flow)."""

    id: str | None = None
    name: str | None = None
    self_uri: str | None = None


class WebChatDeployment(RemoteModel):
    """A web chat deployment (admin)."""

    id: str | None = None
    name: str | None = None
    description: str | None = None
    authentication_required: bool | None = None
    authentication_url: str | None = None
    disabled: bool | None = None
    web_chat_config: WebChatConfig | None = None
    allowed_domains: list[str] | None = None
    flow: DomainEntityRef | None = None
    self_uri: str | None = None


class WebChatDeploymentEntityListing(RemoteModel):
    """All deployments (no paging)."""

    total: int | None = None
    entities: list[WebChatDeployment] = Field(default_factory=list)
    self_uri: str | None = None


class WebChatSettings(RemoteModel):
    """Org-wide web chat settings."""

    require_deployment: bool | None = None


class OAuthToken(BaseModel):
    """Response of the OAuth client-credentials token endpoint (snake_case on the wire)."""

    model_config = ConfigDict(extra="allow")

    access_token: str = Field(repr=False)
    token_type: str = "bearer"
    expires_in: float | None = None
