//! The one application error, and the registry of every error code the server answers.
//!
//! A service refuses with `AppError::new(ErrorCode::X, message)`: the code names what went
//! wrong; the registry row gives its HTTP status, the doors that can answer it and what it
//! means. Each door's OpenAPI contract lists its codes from here, so the contracts and the code
//! cannot drift apart.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

/// The doors of the server, for the contract each publishes (a bit set).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Doors(u8);

impl Doors {
    /// `/api/v1`: the mini-program.
    pub const MP: Doors = Doors(1);
    /// `/merchant/v1`: merchant staff.
    pub const MERCHANT: Doors = Doors(2);
    /// `/admin/v1`: operators.
    pub const ADMIN: Doors = Doors(4);
    /// `/wechat/...`: WeChat's servers.
    pub const WECHAT: Doors = Doors(8);
    /// Only the command line and background jobs meet it.
    pub const NONE: Doors = Doors(0);
    /// Every HTTP door.
    pub const ALL: Doors = Doors(1 | 2 | 4 | 8);
    /// The doors people log in to with an account.
    pub const STAFF: Doors = Doors(2 | 4);
    /// The doors with bearer tokens.
    pub const TOKEN: Doors = Doors(1 | 2 | 4);

    /// Both doors' sets.
    pub const fn union(self, other: Doors) -> Doors {
        Doors(self.0 | other.0)
    }

    pub const fn contains(self, door: Doors) -> bool {
        self.0 & door.0 == door.0
    }
}

macro_rules! error_codes {
    ($($variant:ident = ($code:literal, $status:literal, $doors:expr, $meaning:literal),)*) => {
        /// Every error code the server answers. Add a code here, then use it.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum ErrorCode {
            $($variant,)*
        }

        impl ErrorCode {
            pub const ALL: &'static [ErrorCode] = &[$(ErrorCode::$variant,)*];

            /// The stable snake_case code clients match on.
            pub const fn as_str(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $code,)*
                }
            }

            /// The HTTP status the doors answer it with.
            pub const fn http_status(self) -> u16 {
                match self {
                    $(ErrorCode::$variant => $status,)*
                }
            }

            /// The doors that can answer it.
            pub const fn doors(self) -> Doors {
                match self {
                    $(ErrorCode::$variant => $doors,)*
                }
            }

            /// What it means, for the contracts.
            pub const fn meaning(self) -> &'static str {
                match self {
                    $(ErrorCode::$variant => $meaning,)*
                }
            }
        }
    };
}

error_codes! {
    // ---- every door
    InvalidJson = ("invalid_json", 400, Doors::ALL, "the body is not the JSON this route takes, or is over 64 KiB"),
    InvalidQuery = ("invalid_query", 400, Doors::ALL, "a query parameter is malformed"),
    InvalidPath = ("invalid_path", 400, Doors::ALL, "a path parameter is malformed"),
    PayloadTooLarge = ("payload_too_large", 413, Doors::WECHAT, "the body is over 64 KiB"),
    NotFound = ("not_found", 404, Doors::ALL, "no such route"),
    MethodNotAllowed = ("method_not_allowed", 405, Doors::ALL, "the route does not take this method"),
    InternalError = ("internal_error", 500, Doors::ALL, "our fault; logged"),
    DatabaseUnavailable = ("database_unavailable", 503, Doors::NONE, "the database does not answer (/healthz)"),
    // ---- bearer tokens
    MissingToken = ("missing_token", 401, Doors::TOKEN, "no `Authorization: Bearer <token>` header"),
    InvalidToken = ("invalid_token", 401, Doors::TOKEN, "the token is malformed, tampered with, not HS256, for another door, or not ours"),
    TokenExpired = ("token_expired", 401, Doors::TOKEN, "the token has expired: log in again"),
    MemberNotFound = ("member_not_found", 401, Doors::MP, "the account was erased: log in again"),
    // ---- staff accounts (operators, merchant staff)
    InvalidCredentials = ("invalid_credentials", 401, Doors::STAFF, "unknown username or wrong password (the same answer for both)"),
    TooManyAttempts = ("too_many_attempts", 429, Doors::STAFF, "too many failed logins for this account or address: wait 15 minutes"),
    AccountDisabled = ("account_disabled", 401, Doors::STAFF, "the account is disabled (or gone): it cannot log in and its tokens no longer work"),
    RoleForbidden = ("role_forbidden", 403, Doors::STAFF, "your role may not do this"),
    InvalidUsername = ("invalid_username", 400, Doors::ADMIN, "username not 3-32 ASCII letters, digits, '.', '_' or '-'"),
    WeakPassword = ("weak_password", 400, Doors::ADMIN, "password under 10 characters (or over 128)"),
    InvalidRole = ("invalid_role", 400, Doors::ADMIN, "not a role of this kind of account"),
    UsernameTaken = ("username_taken", 409, Doors::ADMIN, "an account already has this username"),
    OperatorNotFound = ("operator_not_found", 404, Doors::ADMIN, "no operator has this id"),
    CannotDisableSelf = ("cannot_disable_self", 409, Doors::ADMIN, "an operator cannot disable their own account"),
    UnknownMember = ("unknown_member", 404, Doors::ADMIN, "no member has this id (never had, or erased)"),
    // ---- WeChat's callback door
    CallbackNotConfigured = ("callback_not_configured", 503, Doors::WECHAT, "BABYVAX_OA_TOKEN / BABYVAX_OA_AES_KEY / BABYVAX_OA_APPID are unset"),
    MissingParameter = ("missing_parameter", 400, Doors::WECHAT, "a required query parameter is missing"),
    InvalidTimestamp = ("invalid_timestamp", 400, Doors::WECHAT, "timestamp is not Unix seconds"),
    TimestampOutOfWindow = ("timestamp_out_of_window", 401, Doors::WECHAT, "timestamp too far from our clock (replay window)"),
    InvalidSignature = ("invalid_signature", 401, Doors::WECHAT, "signature or msg_signature does not match"),
    UnsupportedEncryptType = ("unsupported_encrypt_type", 400, Doors::WECHAT, "encrypt_type other than raw or aes"),
    UnreadableBody = ("unreadable_body", 400, Doors::WECHAT, "the body could not be read"),
    MalformedXml = ("malformed_xml", 400, Doors::WECHAT, "the body or the decrypted message is not acceptable XML"),
    InvalidMessage = ("invalid_message", 400, Doors::WECHAT, "a required element is missing or not a number"),
    InvalidAesKey = ("invalid_aes_key", 400, Doors::NONE, "the EncodingAESKey is not 43 base64 characters"),
    InvalidBase64 = ("invalid_base64", 400, Doors::WECHAT, "Encrypt is not base64"),
    InvalidCiphertextLength = ("invalid_ciphertext_length", 400, Doors::WECHAT, "the ciphertext is not whole AES blocks"),
    InvalidPadding = ("invalid_padding", 400, Doors::WECHAT, "the decrypted padding is not WeChat's PKCS#7"),
    InvalidMessageLength = ("invalid_message_length", 400, Doors::WECHAT, "the declared message length does not fit the plaintext"),
    AppidMismatch = ("appid_mismatch", 400, Doors::WECHAT, "the message was sealed for another appid"),
    InvalidUtf8 = ("invalid_utf8", 400, Doors::WECHAT, "the decrypted message is not UTF-8"),
    // ---- mini-program login and profile
    MiniProgramNotConfigured = ("mini_program_not_configured", 503, Doors::MP, "BABYVAX_MP_APPID / BABYVAX_MP_SECRET are unset"),
    MissingCode = ("missing_code", 400, Doors::MP, "no usable WeChat code in the body"),
    InvalidLoginCode = ("invalid_login_code", 401, Doors::MP, "WeChat 40029: unknown login code"),
    LoginCodeUsed = ("login_code_used", 401, Doors::MP, "WeChat 40163: login code already used"),
    LoginBlockedByWechat = ("login_blocked_by_wechat", 403, Doors::MP, "WeChat 40226: high-risk user"),
    InvalidPhoneCode = ("invalid_phone_code", 400, Doors::MP, "WeChat 40029: unknown phone-number code"),
    PhoneCodeUsed = ("phone_code_used", 400, Doors::MP, "WeChat 40163: phone-number code already used"),
    WechatRateLimited = ("wechat_rate_limited", 429, Doors::MP, "WeChat refuses more calls for now"),
    WechatUnavailable = ("wechat_unavailable", 503, Doors::MP, "WeChat does not answer (network, timeout, 5xx, busy)"),
    WechatError = ("wechat_error", 502, Doors::MP, "WeChat refused the call for another reason; logged"),
    InvalidNickname = ("invalid_nickname", 400, Doors::MP, "nickname over 32 characters or with control characters"),
    InvalidRegion = ("invalid_region", 400, Doors::MP, "province/city over 16 characters, or a city without a province"),
    PrivacyPolicyVersionMismatch = ("privacy_policy_version_mismatch", 400, Doors::MP, "consent sent for another version than the current one"),
    PrivacyConsentRequired = ("privacy_consent_required", 403, Doors::MP, "consent to the current privacy policy first"),
    // ---- babies and their families
    InvalidBabyName = ("invalid_baby_name", 400, Doors::MP, "name empty or over 32 characters"),
    BirthDateInFuture = ("birth_date_in_future", 400, Doors::MP, "birth date after today (Asia/Shanghai)"),
    BirthDateTooOld = ("birth_date_too_old", 400, Doors::MP, "child 18 or older"),
    InvalidPretermWeeks = ("invalid_preterm_weeks", 400, Doors::MP, "preterm_weeks outside 1-20"),
    TooManyBabies = ("too_many_babies", 409, Doors::MP, "a member owns at most 20 babies"),
    BabyNotFound = ("baby_not_found", 404, Doors::MP, "no such baby among those shared with you"),
    OwnerOnly = ("owner_only", 403, Doors::MP, "only the baby's owner may do this"),
    OwnerCannotLeave = ("owner_cannot_leave", 409, Doors::MP, "the owner cannot leave their own baby"),
    CaregiverNotFound = ("caregiver_not_found", 404, Doors::MP, "that member is not a caregiver of the baby"),
    InviteNotFound = ("invite_not_found", 404, Doors::MP, "no invite has this code"),
    InviteAlreadyUsed = ("invite_already_used", 409, Doors::MP, "the invite was already accepted"),
    InviteExpired = ("invite_expired", 410, Doors::MP, "the invite has expired"),
    AlreadyCaregiver = ("already_caregiver", 409, Doors::MP, "the baby is already shared with you"),
    // ---- doses, opt-ins, schedule
    UnknownVaccine = ("unknown_vaccine", 400, Doors::MP, "not a vaccine or product of the schedule edition"),
    UnknownDose = ("unknown_dose", 400, Doors::MP, "the vaccine has no such dose"),
    DoseBeforeBirth = ("dose_before_birth", 400, Doors::MP, "a dose dated before the birth date"),
    DoseInFuture = ("dose_in_future", 400, Doors::MP, "a dose dated after today (Asia/Shanghai)"),
    InvalidClinic = ("invalid_clinic", 400, Doors::MP, "clinic over 50 characters"),
    DuplicateDose = ("duplicate_dose", 409, Doors::MP, "that dose is already recorded (also through a combination product)"),
    DoseNotFound = ("dose_not_found", 404, Doors::MP, "no such dose recorded for the baby"),
    DateOutOfRange = ("date_out_of_range", 400, Doors::MP, "a date too far from the birth date to compute with"),
    RecordedHistoryInvalid = ("recorded_history_invalid", 409, Doors::MP, "a recorded dose no longer fits the schedule edition; correct it"),
    VaccineNotOptional = ("vaccine_not_optional", 400, Doors::MP, "a free-programme vaccine cannot be opted into (it is always scheduled)"),
    TooManyOptIns = ("too_many_opt_ins", 400, Doors::MP, "more than 20 opt-ins"),
    NotAnAlternative = ("not_an_alternative", 400, Doors::NONE, "the chosen vaccine is not an alternative of the edition"),
    ConflictingAlternatives = ("conflicting_alternatives", 400, Doors::NONE, "two alternatives of one choice were chosen"),
    InvalidGivenFormat = ("invalid_given_format", 400, Doors::NONE, "--given is not VACCINE:DOSE:YYYY-MM-DD"),
    // ---- content
    ArticleNotFound = ("article_not_found", 404, Doors::MP, "no such published article"),
    // ---- subscribe messages and push preferences
    NoSubscribeResults = ("no_subscribe_results", 400, Doors::MP, "the report names no template"),
    TooManyTemplates = ("too_many_templates", 400, Doors::MP, "more than 10 templates in one report"),
    InvalidTemplateId = ("invalid_template_id", 400, Doors::MP, "template id empty, over 64 characters or with control characters"),
    InvalidSubscribeResult = ("invalid_subscribe_result", 400, Doors::MP, "a result other than accept, reject, ban or filter"),
    InvalidRequestId = ("invalid_request_id", 400, Doors::TOKEN, "request_id over 64 characters or with control characters"),
    NoSubscribeAllowance = ("no_subscribe_allowance", 409, Doors::NONE, "no subscribe allowance left for this template (the sender falls back to another channel)"),
    InvalidQuietStart = ("invalid_quiet_start", 400, Doors::MP, "quiet_start is not HH:MM"),
    InvalidQuietEnd = ("invalid_quiet_end", 400, Doors::MP, "quiet_end is not HH:MM"),
    // ---- operator commands
    InvalidMenu = ("invalid_menu", 400, Doors::NONE, "the custom menu breaks WeChat's rules"),
    InvalidChannelCode = ("invalid_channel_code", 400, Doors::NONE, "channel code not letters, digits, '-' or '_', or too long"),
    InvalidChannelName = ("invalid_channel_name", 400, Doors::NONE, "channel name empty or too long"),
    InvalidChannelKind = ("invalid_channel_kind", 400, Doors::NONE, "channel kind not one of the known kinds"),
    ChannelExists = ("channel_exists", 409, Doors::NONE, "a channel already has this code"),
    InvalidCampaignKind = ("invalid_campaign_kind", 400, Doors::NONE, "campaign kind not content or announcement"),
    InvalidCampaignName = ("invalid_campaign_name", 400, Doors::ADMIN, "campaign name empty or too long (push and points campaigns)"),
    InvalidCampaignTitle = ("invalid_campaign_title", 400, Doors::NONE, "campaign title empty or too long"),
    InvalidCampaignSummary = ("invalid_campaign_summary", 400, Doors::NONE, "campaign summary empty or too long"),
    InvalidSegment = ("invalid_segment", 400, Doors::NONE, "the campaign's segment is contradictory"),
    // ---- WeChat Pay and the paid membership
    PaymentDisabled = ("payment_disabled", 503, Doors(1 | 4), "WeChat Pay is not configured (BABYVAX_PAY_* unset)"),
    PaymentUnavailable = ("payment_unavailable", 502, Doors(1 | 4), "WeChat Pay refused the call or could not be reached; retry with the same request_id"),
    PayOrderNotFound = ("pay_order_not_found", 404, Doors(1 | 4), "no such payment order (among yours)"),
    UnknownPlan = ("unknown_plan", 400, Doors::MP, "plan_id is not one of GET /api/v1/membership/plans"),
    InvalidRefundAmount = ("invalid_refund_amount", 400, Doors::ADMIN, "amount_fen is not a positive number of fen"),
    InvalidRefundReason = ("invalid_refund_reason", 400, Doors::ADMIN, "reason over 80 characters or with control characters"),
    InvalidRefundRequestId = ("invalid_refund_request_id", 400, Doors::ADMIN, "request_id empty, over 64 characters or with control characters"),
    OrderNotRefundable = ("order_not_refundable", 409, Doors::ADMIN, "the order is not paid (or already refunded in full)"),
    RefundExceedsPaid = ("refund_exceeds_paid", 409, Doors::ADMIN, "the refund with those already asked for would exceed what was paid"),
    RefundRequestMismatch = ("refund_request_mismatch", 409, Doors::ADMIN, "this request_id was used for a refund with another amount"),
    InvalidMembershipFilter = ("invalid_membership_filter", 400, Doors::ADMIN, "tier is not basic, advanced or premium"),
    // ---- partner merchants and coupons
    InvalidMerchantName = ("invalid_merchant_name", 400, Doors::ADMIN, "merchant name empty, over 64 characters or with control characters"),
    InvalidMerchantKind = ("invalid_merchant_kind", 400, Doors::ADMIN, "merchant kind not baby_shop, photo_studio, early_education, clinic_neighbour or other"),
    InvalidContactName = ("invalid_contact_name", 400, Doors::ADMIN, "contact_name empty, over 64 characters or with control characters"),
    InvalidContactPhone = ("invalid_contact_phone", 400, Doors::ADMIN, "contact_phone not 5-20 digits (an optional leading +, '-' and spaces allowed)"),
    InvalidCommissionBps = ("invalid_commission_bps", 400, Doors::ADMIN, "commission_bps not 0-10000 basis points"),
    InvalidStoreName = ("invalid_store_name", 400, Doors::ADMIN, "store name empty, over 64 characters or with control characters"),
    InvalidStoreAddress = ("invalid_store_address", 400, Doors::ADMIN, "store address empty, over 128 characters or with control characters"),
    InvalidStoreCity = ("invalid_store_city", 400, Doors::ADMIN, "store city empty, over 32 characters or with control characters"),
    MerchantNotFound = ("merchant_not_found", 404, Doors::ADMIN, "no merchant has this id"),
    StoreNotFound = ("store_not_found", 404, Doors::ADMIN, "the merchant has no store with this id"),
    ClerkNeedsStore = ("clerk_needs_store", 400, Doors::ADMIN, "a clerk belongs to exactly one store: give store_id (owners may leave it out)"),
    InvalidTitle = ("invalid_title", 400, Doors(2 | 4), "title empty, over 64 characters or with control characters"),
    InvalidDescription = ("invalid_description", 400, Doors(2 | 4), "description over 500 characters or with control characters"),
    InvalidCouponKind = ("invalid_coupon_kind", 400, Doors(2 | 4), "kind not cash, discount or gift"),
    InvalidAmountFen = ("invalid_amount_fen", 400, Doors(2 | 4), "amount_fen missing (cash, gift), given (discount), or not 1-10000000 fen"),
    InvalidThresholdFen = ("invalid_threshold_fen", 400, Doors(2 | 4), "threshold_fen negative, too large, or (cash) neither 0 nor at least amount_fen"),
    InvalidPercentOff = ("invalid_percent_off", 400, Doors(2 | 4), "percent_off not 1-99 (discount), or given for another kind"),
    InvalidMaxOffFen = ("invalid_max_off_fen", 400, Doors(2 | 4), "max_off_fen not 1-10000000 fen, or given for a kind other than discount"),
    InvalidValidity = ("invalid_validity", 400, Doors(2 | 4), "validity: from after to, to before the claim window, or days not 1-366"),
    InvalidTotalStock = ("invalid_total_stock", 400, Doors(2 | 4), "total_stock not 1-1000000"),
    InvalidPerMemberLimit = ("invalid_per_member_limit", 400, Doors(2 | 4), "per_member_limit not 1-100"),
    InvalidClaimWindow = ("invalid_claim_window", 400, Doors(2 | 4), "claim_from not before claim_to"),
    InvalidAgeBand = ("invalid_age_band", 400, Doors(2 | 4), "baby_age_days not 0 <= min <= max <= 6575"),
    InvalidCities = ("invalid_cities", 400, Doors(2 | 4), "cities empty, over 100, or a city empty, over 32 characters or with control characters"),
    InvalidPointsCost = ("invalid_points_cost", 400, Doors(2 | 4), "points_cost not 0-10000000"),
    InvalidStockChange = ("invalid_stock_change", 400, Doors::ADMIN, "add must be 1-1000000"),
    InvalidRejectReason = ("invalid_reject_reason", 400, Doors::ADMIN, "reason empty, over 200 characters or with control characters"),
    TemplateNotFound = ("coupon_template_not_found", 404, Doors(1 | 2 | 4), "no such coupon template (of your merchant)"),
    TemplateStateConflict = ("template_state_conflict", 409, Doors(2 | 4), "the template is not in a state this action starts from"),
    StockBelowClaimed = ("stock_below_claimed", 409, Doors::ADMIN, "the stock cannot go below what was claimed"),
    SoldOut = ("sold_out", 409, Doors::MP, "no stock left"),
    ClaimLimitReached = ("claim_limit_reached", 409, Doors::MP, "you have claimed as many of these as one member may"),
    NotEligible = ("not_eligible", 403, Doors::MP, "none of your babies is in the template's age band, or your city is not one of its cities"),
    NotClaimable = ("not_claimable", 409, Doors::MP, "the template is not live, outside its claim window, or its merchant is suspended"),
    CouponNotFound = ("coupon_not_found", 404, Doors::MP, "no such coupon of yours"),
    CouponUsed = ("coupon_used", 409, Doors::MP, "the coupon was redeemed already: no code for it"),
    CodeNotFound = ("code_not_found", 404, Doors::MERCHANT, "no such code (a code of another merchant's coupon does not exist for you either)"),
    CodeExpired = ("code_expired", 410, Doors::MERCHANT, "the code is over 60 seconds old, or a newer code replaced it: ask the parent to refresh"),
    AlreadyRedeemed = ("already_redeemed", 409, Doors::MERCHANT, "the coupon was redeemed already"),
    CouponExpired = ("coupon_expired", 409, Doors(1 | 2), "the coupon is outside its validity"),
    BelowThreshold = ("below_threshold", 422, Doors::MERCHANT, "the order amount is under the coupon's threshold"),
    InvalidOrderAmount = ("invalid_order_amount", 400, Doors::MERCHANT, "order_amount_fen not 0-10000000000"),
    RedemptionsBlocked = ("redemptions_blocked", 409, Doors::MERCHANT, "an operator stopped this merchant's redemptions"),
    InvalidMonth = ("invalid_month", 400, Doors::ADMIN, "month is not YYYY-MM"),
    MonthAlreadyClosed = ("month_already_closed", 409, Doors::ADMIN, "the month was closed before: a closed statement never changes"),
    InvalidSettlementAdjustment = ("invalid_settlement_adjustment", 400, Doors::ADMIN, "an adjustment needs a non-zero face_value_fen or commission_fen within 10000000000 and a note of 1-200 characters"),
    InvalidReportRange = ("invalid_report_range", 400, Doors::MERCHANT, "from/to are not YYYY-MM-DD, from after to, or over 366 days; by not day, store or template"),
    InvalidGrant = ("invalid_grant", 400, Doors::ADMIN, "a grant needs a grant_key (1-64 characters) and either 1-10000 member_ids or a segment"),
    // ---- expert lectures and offline classes
    EventNotFound = ("event_not_found", 404, Doors(1 | 2 | 4), "no such event (published, or of your store)"),
    InvalidEventKind = ("invalid_event_kind", 400, Doors(2 | 4), "kind not online_lecture or offline_class"),
    InvalidSpeaker = ("invalid_speaker", 400, Doors(2 | 4), "speaker empty, over 64 characters or with control characters"),
    InvalidEventVenue = ("invalid_event_venue", 400, Doors(2 | 4), "an offline class needs store_id (a store of a merchant) and no stream_url; an online lecture an https stream_url and no store_id"),
    InvalidEventTimes = ("invalid_event_times", 400, Doors(2 | 4), "not booking_from < booking_to <= starts_at < ends_at with cancel_before <= starts_at"),
    InvalidCapacity = ("invalid_capacity", 400, Doors(2 | 4), "capacity not 1-10000"),
    InvalidEventPrice = ("invalid_event_price", 400, Doors(2 | 4), "price_fen not 0-10000000, or a tier price not 0 to price_fen"),
    EventStateConflict = ("event_state_conflict", 409, Doors(2 | 4), "the event is not in a state this action starts from"),
    CapacityBelowTaken = ("capacity_below_taken", 409, Doors::ADMIN, "the capacity cannot go below the seats already taken"),
    InvalidSeats = ("invalid_seats", 400, Doors::MP, "seats not 1-3"),
    EventFull = ("event_full", 409, Doors::MP, "no seats left (or a waitlist ahead of you): join the waitlist"),
    AlreadyBooked = ("already_booked", 409, Doors::MP, "you have a live booking (or waitlist place) for this event"),
    BookingClosed = ("booking_closed", 409, Doors::MP, "the event is not open for booking now (outside its booking window, or not published)"),
    TierRequired = ("tier_required", 403, Doors::MP, "this event is for members of a tier with a price on it"),
    SeatsAvailable = ("seats_available", 409, Doors::MP, "seats are left and nobody is waiting: book instead"),
    BookingNotFound = ("booking_not_found", 404, Doors::MP, "no such booking of yours"),
    WaitlistEntryNotFound = ("waitlist_entry_not_found", 404, Doors::MP, "no such waitlist place of yours"),
    OfferNotOpen = ("offer_not_open", 409, Doors::MP, "no open offer on this waitlist place (it expired, or was accepted)"),
    BookingNotCancellable = ("booking_not_cancellable", 409, Doors::MP, "the booking is not live, or the event has started"),
    NoCheckInCode = ("no_check_in_code", 409, Doors::MP, "only a confirmed booking of an offline class not yet checked in or over has a check-in code"),
    BookingCheckedIn = ("booking_checked_in", 409, Doors::MERCHANT, "this booking was checked in already"),
    // ---- points and growth
    InsufficientPoints = ("insufficient_points", 409, Doors::MP.union(Doors::ADMIN), "a spend or negative adjustment larger than the spendable balance; nothing was written"),
    AlreadyCheckedIn = ("already_checked_in", 409, Doors::MP, "you already checked in today (Asia/Shanghai)"),
    EarningDisabled = ("earning_disabled", 409, Doors::MP, "earning for this reason is switched off by the operators"),
    InvalidPointsAmount = ("invalid_points_amount", 400, Doors::NONE, "an amount of points that is not positive"),
    InvalidPaidAmount = ("invalid_paid_amount", 400, Doors::NONE, "a negative paid amount"),
    InvalidPointsReference = ("invalid_reference", 400, Doors::NONE, "a points reference or purpose not 1-64 characters without control characters"),
    InvalidAdjustment = ("invalid_adjustment", 400, Doors::ADMIN, "delta 0 or beyond ±1,000,000, reason not 1-200 characters, or request_id not 1-64 characters (the message names the field)"),
    InvalidCursor = ("invalid_cursor", 400, Doors::MP.union(Doors::ADMIN), "cursor not a positive id, or limit outside 1-100"),
    CampaignExists = ("campaign_exists", 409, Doors::ADMIN, "a points campaign already has this slug"),
    CampaignNotFound = ("campaign_not_found", 404, Doors::ADMIN, "no points campaign has this id"),
    UnknownReason = ("unknown_reason", 400, Doors::ADMIN, "not an earning reason"),
    DuplicateReason = ("duplicate_reason", 400, Doors::ADMIN, "two earning rules for one reason"),
    MissingReason = ("missing_reason", 400, Doors::ADMIN, "an earning reason without a rule (switch it off with enabled: false)"),
    AwardKindMismatch = ("award_kind_mismatch", 400, Doors::ADMIN, "check_in needs a streak award, purchase per_yuan, the others fixed"),
    NegativeAward = ("negative_award", 400, Doors::ADMIN, "an award, growth or cap below zero"),
    CapBelowAward = ("cap_below_award", 400, Doors::ADMIN, "a daily cap below a single award"),
    InvalidStreakLadder = ("invalid_streak_ladder", 400, Doors::ADMIN, "the check-in ladder is not 1-31 days"),
    StreakLadderDecreasing = ("streak_ladder_decreasing", 400, Doors::ADMIN, "the check-in ladder decreases"),
    EmptyLevelTable = ("empty_level_table", 400, Doors::ADMIN, "no levels"),
    FirstThresholdNotZero = ("first_threshold_not_zero", 400, Doors::ADMIN, "the first level does not start at growth 0"),
    ThresholdsNotAscending = ("thresholds_not_ascending", 400, Doors::ADMIN, "level thresholds not strictly ascending"),
    DuplicateLevelId = ("duplicate_level_id", 400, Doors::ADMIN, "a level id used twice"),
    InvalidLevelId = ("invalid_level_id", 400, Doors::ADMIN, "a level id not 1-64 of a-z, 0-9, '_' or '-'"),
    InvalidLevelName = ("invalid_level_name", 400, Doors::ADMIN, "a level name not 1-64 characters without control characters"),
    MultiplierDecreasing = ("multiplier_decreasing", 400, Doors::ADMIN, "a level's points multiplier below the previous level's"),
    InvalidCouponTemplate = ("invalid_coupon_template", 400, Doors::ADMIN, "a level's monthly coupon template is not a slug"),
    InvalidCampaignSlug = ("invalid_campaign_slug", 400, Doors::ADMIN, "a campaign slug not 1-64 of a-z, 0-9, '_' or '-'"),
    CampaignDatesReversed = ("campaign_dates_reversed", 400, Doors::ADMIN, "a campaign ends before it starts"),
    InvalidDayOfMonth = ("invalid_day_of_month", 400, Doors::ADMIN, "a monthly campaign day not 1-31"),
    EmptyScope = ("empty_scope", 400, Doors::ADMIN, "a campaign's reasons, levels or tiers name nothing"),
    UnknownLevel = ("unknown_level", 400, Doors::ADMIN, "a campaign names a level the level table does not have"),
    MultiplierOutOfRange = ("multiplier_out_of_range", 400, Doors::ADMIN, "a multiplier outside its range (levels ×1-×3, campaigns ×1-×10, in basis points)"),
    InvalidExpiryMonths = ("invalid_expiry_months", 400, Doors::NONE, "BABYVAX_POINTS_EXPIRY_MONTHS not 1-120"),
    // ---- the shop
    InvalidCategoryName = ("invalid_category_name", 400, Doors::ADMIN, "category name empty, over 32 characters or with control characters"),
    CategoryExists = ("category_exists", 409, Doors::ADMIN, "a category already has this name"),
    CategoryNotFound = ("category_not_found", 404, Doors::ADMIN.union(Doors::MP), "no category has this id"),
    InvalidProduct = ("invalid_product", 400, Doors::ADMIN, "a product or SKU field breaks its rule (the message names it): title 1-64, description up to 2000, up to 9 image URLs, age band 0 <= min <= max <= 6575, up to 10 tags of 1-32, 1-50 SKUs, price 1-100000000 fen, member price 1..=price, stock 0-1000000"),
    ProductNotFound = ("product_not_found", 404, Doors::ADMIN.union(Doors::MP), "no such product (parents see only products on sale)"),
    SkuNotFound = ("sku_not_found", 404, Doors::ADMIN, "the product has no SKU with this id"),
    ProductStateConflict = ("product_state_conflict", 409, Doors::ADMIN, "the product is not in a state this action starts from"),
    StockChanged = ("stock_changed", 409, Doors::ADMIN, "the stock moved (orders) since you read it: read it again and retry with the new expected_stock"),
    InvalidOrder = ("invalid_order", 400, Doors::MP, "an order field breaks its rule (the message names it): 1-20 items, quantity 1-99, the address complete, points not negative"),
    SkuUnavailable = ("sku_unavailable", 409, Doors::MP, "the SKU does not exist or its product is not on sale"),
    OutOfStock = ("out_of_stock", 409, Doors::MP.union(Doors::ADMIN), "not enough stock for the SKU the message names (the flash sale or mall item sold out; for operators, a flash sale larger than the SKU's stock); nothing was reserved"),
    CouponUnavailable = ("coupon_unavailable", 409, Doors::MP, "the coupon is not yours, not a platform coupon, used, locked by another order, expired, a gift, or the goods are under its threshold"),
    PointsOverLimit = ("points_over_limit", 409, Doors::MP, "more points than may pay for this order (100 points = 1 yuan, at most 50 % of what is left after the coupon)"),
    ShopOrderNotFound = ("shop_order_not_found", 404, Doors::MP.union(Doors::ADMIN), "no such shop order (among yours)"),
    OrderStateConflict = ("order_state_conflict", 409, Doors::MP.union(Doors::ADMIN), "the order is not in a state this action starts from (it may have been paid, cancelled or shipped meanwhile)"),
    InvalidRefundRequest = ("invalid_refund_request", 400, Doors::MP, "reason empty, over 200 characters or with control characters"),
    InvalidTrackingNo = ("invalid_tracking_no", 400, Doors::ADMIN, "tracking_no empty, over 64 characters or with control characters"),
    InvalidFlashSale = ("invalid_flash_sale", 400, Doors::ADMIN, "price 1..=the SKU's price, stock 1-100000, per_member_limit 1-100, starts_at before ends_at, ends_at in the future"),
    FlashSaleNotFound = ("flash_sale_not_found", 404, Doors::MP.union(Doors::ADMIN), "no flash sale has this id"),
    NotStarted = ("not_started", 409, Doors::MP, "the flash sale has not started: nothing was reserved"),
    FlashSaleEnded = ("flash_sale_ended", 409, Doors::MP, "the flash sale has ended"),
    PurchaseLimitReached = ("purchase_limit_reached", 409, Doors::MP, "you hold as many units of this flash sale as one member may (unpaid orders count until cancelled)"),
    InvalidGroupBuy = ("invalid_group_buy", 400, Doors::ADMIN, "price 1..=the SKU's price, group_size 2-10, time_limit_hours 1-72"),
    GroupBuyNotFound = ("group_buy_not_found", 404, Doors::MP.union(Doors::ADMIN), "no group buy has this id"),
    GroupNotFound = ("group_not_found", 404, Doors::MP, "no group has this id"),
    GroupNotOpen = ("group_not_open", 409, Doors::MP, "the group is forming (its leader has not paid), filled, failed or out of time"),
    GroupFull = ("group_full", 409, Doors::MP, "every place of the group is held (unpaid orders count until cancelled)"),
    AlreadyInGroup = ("already_in_group", 409, Doors::MP, "you hold a place in this group already"),
    InvalidMallItem = ("invalid_mall_item", 400, Doors::ADMIN, "title 1-64, kind physical or coupon (with coupon_template_id), points 1-10000000, cash_fen 0-100000000, stock 0-1000000"),
    MallItemNotFound = ("mall_item_not_found", 404, Doors::MP.union(Doors::ADMIN), "no points-mall item has this id (on sale)"),
}

impl ErrorCode {
    /// The codes a door's contract lists.
    pub fn of_door(door: Doors) -> impl Iterator<Item = ErrorCode> {
        ErrorCode::ALL
            .iter()
            .copied()
            .filter(move |c| c.doors().contains(door))
    }

    pub fn status(self) -> StatusCode {
        StatusCode::from_u16(self.http_status()).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The caller's fault, or a state the caller should know about: answered as is.
    #[error("{code}: {message}")]
    Client { code: ErrorCode, message: String },
    /// Our fault: logged with its cause chain and answered with an opaque message.
    #[error("internal error: {0:#}")]
    Internal(#[from] anyhow::Error),
}

#[derive(Debug, Serialize)]
pub struct ErrorBody<'a> {
    pub code: &'a str,
    pub message: &'a str,
}

impl AppError {
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        AppError::Client {
            code,
            message: message.into(),
        }
    }

    pub fn payload_too_large(limit: usize) -> Self {
        Self::new(
            ErrorCode::PayloadTooLarge,
            format!("request body exceeds {limit} bytes"),
        )
    }

    /// The registry entry; `InternalError` for internal errors.
    pub fn error_code(&self) -> ErrorCode {
        match self {
            AppError::Client { code, .. } => *code,
            AppError::Internal(_) => ErrorCode::InternalError,
        }
    }

    /// The stable code, also for internal errors.
    pub fn code(&self) -> &'static str {
        self.error_code().as_str()
    }
}

impl From<sea_orm::DbErr> for AppError {
    fn from(err: sea_orm::DbErr) -> Self {
        AppError::Internal(anyhow::Error::new(err))
    }
}

impl<E> From<sea_orm::TransactionError<E>> for AppError
where
    E: std::error::Error + Into<AppError>,
{
    fn from(err: sea_orm::TransactionError<E>) -> Self {
        match err {
            sea_orm::TransactionError::Connection(db) => db.into(),
            sea_orm::TransactionError::Transaction(inner) => inner.into(),
        }
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        self.error_code().status()
    }

    fn error_response(&self) -> HttpResponse {
        let (code, message) = match self {
            AppError::Client { code, message } => {
                tracing::info!(code = code.as_str(), %message, "request refused");
                (code.as_str(), message.as_str())
            }
            AppError::Internal(cause) => {
                tracing::error!(error = format!("{cause:#}"), "internal error");
                ("internal_error", "internal error; it has been logged")
            }
        };
        HttpResponse::build(self.status_code()).json(ErrorBody { code, message })
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;

    #[test]
    fn codes_are_unique_snake_case_with_error_statuses() {
        let mut seen = BTreeSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.chars()
                    .all(|c| c.is_ascii_lowercase() || c == '_' || c.is_ascii_digit()),
                "{text}"
            );
            assert!((400..600).contains(&code.http_status()), "{text}");
            assert_eq!(code.status().as_u16(), code.http_status());
            assert!(!code.meaning().is_empty(), "{text}");
        }
    }

    #[test]
    fn the_status_comes_from_the_registry() {
        let err = AppError::new(ErrorCode::InviteExpired, "gone");
        assert_eq!(err.status_code(), StatusCode::GONE);
        assert_eq!(err.code(), "invite_expired");
        let internal = AppError::Internal(anyhow::anyhow!("boom"));
        assert_eq!(internal.status_code(), StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(internal.code(), "internal_error");
    }

    #[test]
    fn doors_list_their_codes() {
        let mp: Vec<_> = ErrorCode::of_door(Doors::MP).collect();
        assert!(mp.contains(&ErrorCode::BabyNotFound));
        assert!(mp.contains(&ErrorCode::InvalidJson));
        assert!(!mp.contains(&ErrorCode::InvalidSignature));
        assert!(!mp.contains(&ErrorCode::InvalidCredentials));
        let admin: Vec<_> = ErrorCode::of_door(Doors::ADMIN).collect();
        assert!(admin.contains(&ErrorCode::InvalidCredentials));
        assert!(!admin.contains(&ErrorCode::BabyNotFound));
    }
}
