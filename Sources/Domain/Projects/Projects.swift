import ClickModel

/// What a stage of a project does for the members in it.
public enum StageKind: String, Sendable, CaseIterable {
    /// A step the brand carries out by hand (vetting, sending samples...).
    case custom
    /// Makes each member's tracking link of the stage's link offer.
    case generateLinks = "generate_links"
    /// Makes each member's promo code of the stage's promo-code offer.
    case generatePromoCodes = "generate_promo_codes"

    /// The offer type a generating stage needs; nil for custom stages.
    public var offerType: OfferType? {
        switch self {
        case .custom: nil
        case .generateLinks: .link
        case .generatePromoCodes: .promoCode
        }
    }
}

/// A workflow through which a brand recruits partners.
public struct Project: Sendable, Equatable {
    public var id: UInt32
    public var name: String
    public var createdAt: Int64

    public init(id: UInt32 = 0, name: String, createdAt: Int64 = 0) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// One step of a project. Stages are kept in `position` order, 0 first.
public struct Stage: Sendable, Equatable {
    public var id: UInt32
    public var projectID: UInt32
    public var name: String
    public var kind: StageKind
    /// The offer a generating stage makes links or codes for; set when the
    /// stage is set up, possibly after it was added. Always nil for custom stages.
    public var offerID: UInt32?
    public var position: Int

    public init(id: UInt32 = 0, projectID: UInt32 = 0, name: String, kind: StageKind, offerID: UInt32? = nil, position: Int = 0) {
        self.id = id
        self.projectID = projectID
        self.name = name
        self.kind = kind
        self.offerID = offerID
        self.position = position
    }
}

/// A partner's place in a project.
public struct ProjectMember: Sendable, Equatable {
    public var partner: Partner
    public var stageID: UInt32
    /// When the partner entered its current stage.
    public var enteredAt: Int64

    public init(partner: Partner, stageID: UInt32, enteredAt: Int64) {
        self.partner = partner
        self.stageID = stageID
        self.enteredAt = enteredAt
    }
}

/// One partner of an `enterProject` call: its place, and whether it just entered.
public struct ProjectEntry: Sendable, Equatable {
    public var member: ProjectMember
    /// False when the partner was in the project already (it stays where it is).
    public var entered: Bool

    public init(member: ProjectMember, entered: Bool) {
        self.member = member
        self.entered = entered
    }
}

/// One member of a generating step: its offer membership (with the link's
/// partner code or the promo code), whether that was made now, and the stage
/// it is in afterwards.
public struct Generation: Sendable {
    public var member: Member
    /// False when the member already had its link or code (it is moved on all the same).
    public var created: Bool
    public var stageID: UInt32

    public init(member: Member, created: Bool, stageID: UInt32) {
        self.member = member
        self.created = created
        self.stageID = stageID
    }
}

/// Where a deleted stage's members went.
public struct StageDeletion: Sendable, Equatable {
    /// The stage that took them in (the next one, or the one before the last);
    /// nil when the stage had no members to move.
    public var movedTo: UInt32?
    public var movedMembers: Int

    public init(movedTo: UInt32?, movedMembers: Int) {
        self.movedTo = movedTo
        self.movedMembers = movedMembers
    }
}

/// Projects, their stages and the partners moving through them.
///
/// Contract: every call is one transaction; unknown projects, stages and
/// partners throw `StoreError(.notFound)` and change nothing; a stage's
/// offer must exist and be of the type its kind generates (`.invalid`).
public protocol ProjectStore: Sendable {
    /// Creates the project with its stages, in the order given.
    func createProject(_ project: Project, stages: [Stage]) async throws -> Project
    func project(id: UInt32) async throws -> Project?
    /// Projects in id order, after `afterID`.
    func projects(afterID: UInt32, limit: Int) async throws -> [Project]
    /// The project's stages, in order.
    func stages(projectID: UInt32) async throws -> [Stage]
    /// Everyone in the project, by partner id.
    func projectMembers(projectID: UInt32) async throws -> [ProjectMember]

    /// Inserts a stage at `position` (0-based among the stages; last when nil
    /// or past the end); the stages from there on move down one.
    func addStage(projectID: UInt32, _ stage: Stage, at position: Int?) async throws -> Stage
    /// Renames a stage, sets up its offer, or moves it to another position.
    func updateStage(projectID: UInt32, stageID: UInt32, _ change: @escaping @Sendable (inout Stage) throws -> Void) async throws -> Stage
    /// Deletes a stage; its members move into the stage after it, or the one
    /// before it when it was the last. A last stage with members cannot be
    /// deleted (`.conflict`): they would have nowhere to go.
    func deleteStage(projectID: UInt32, stageID: UInt32) async throws -> StageDeletion

    /// Puts partners into the project's first stage; those already in it stay where they are.
    func enterProject(projectID: UInt32, partnerIDs: [UInt32]) async throws -> [ProjectEntry]
    /// Moves members of the project to one of its stages.
    func moveMembers(projectID: UInt32, partnerIDs: [UInt32], to stageID: UInt32) async throws -> [ProjectMember]
    /// The step of a generating stage, for the given members of it (all of
    /// them when nil): each joins the stage's offer with `terms` (a member
    /// that already belongs keeps its link or code) and moves on to the next
    /// stage when there is one. Nothing is done unless all of it is.
    func generate(projectID: UInt32, stageID: UInt32, partnerIDs: [UInt32]?, terms: MemberTerms,
                  credentials: MemberCredentials) async throws -> [Generation]
}
