"""Words for meetings in Khmer and English: types, states, languages, holidays.

The service needs them for what it writes itself (iCalendar files, slot reasons, errors);
the PWA has its own copies in its gettext catalog.
"""

from __future__ import annotations

from contracts.meetings import MeetingState, MeetingType

Text = dict[str, str]


def text(en: str, km: str) -> Text:
    return {"en": en, "km": km}


def pick(words: Text, lang: str) -> str:
    return words.get(lang) or words["km"]


MEETING_TYPES: dict[MeetingType, Text] = {
    MeetingType.VILLAGE_NEEDS: text("Village needs meeting", "កិច្ចប្រជុំប្រមូលតម្រូវការភូមិ"),
    MeetingType.COMMUNE_PRIORITISATION: text("Commune prioritisation meeting", "កិច្ចប្រជុំកំណត់អាទិភាពឃុំ"),
    MeetingType.CIP_APPROVAL: text("CIP approval meeting", "កិច្ចប្រជុំអនុម័តកម្មវិធីវិនិយោគឃុំ"),
    MeetingType.DISTRICT_INTEGRATION_WORKSHOP: text(
        "District Integration Workshop", "សិក្ខាសាលាសមាហរណកម្មថ្នាក់ស្រុក"
    ),
    MeetingType.BUDGET_DISCLOSURE: text("Budget disclosure meeting", "កិច្ចប្រជុំផ្សព្វផ្សាយថវិកា"),
    MeetingType.ISAF_INTERFACE: text("ISAF interface meeting", "វេទិកាផ្សារភ្ជាប់ ISAF"),
    MeetingType.COUNCIL_MONTHLY: text("Monthly council meeting", "កិច្ចប្រជុំប្រចាំខែរបស់ក្រុមប្រឹក្សា"),
}

MEETING_STATES: dict[MeetingState, Text] = {
    MeetingState.PLANNED: text("Planned", "បានគ្រោងទុក"),
    MeetingState.ANNOUNCED: text("Announced", "បានប្រកាស"),
    MeetingState.RESCHEDULED: text("Rescheduled", "បានប្តូរពេល"),
    MeetingState.HELD: text("Held", "បានប្រព្រឹត្តទៅ"),
    MeetingState.MINUTES_PUBLISHED: text("Minutes published", "បានផ្សព្វផ្សាយកំណត់ហេតុ"),
    MeetingState.CANCELLED: text("Cancelled", "បានលុបចោល"),
}

# Khmer and the languages of Cambodia's indigenous and minority communities (ISO 639 codes).
LANGUAGES: dict[str, Text] = {
    "km": text("Khmer", "ខ្មែរ"),
    "jra": text("Jarai", "ចារ៉ាយ"),
    "tpu": text("Tampuan", "ទំពួន"),
    "krr": text("Kreung", "គ្រឹង"),
    "brb": text("Brao", "ព្រៅ"),
    "krv": text("Kavet", "កាវ៉ែត"),
    "cmo": text("Bunong", "ព្នង"),
    "kdt": text("Kuy", "កួយ"),
    "sti": text("Stieng", "ស្ទៀង"),
    "cja": text("Cham", "ចាម"),
    "lo": text("Lao", "ឡាវ"),
    "vi": text("Vietnamese", "វៀតណាម"),
    "en": text("English", "អង់គ្លេស"),
}


def language_name(code: str, lang: str) -> str:
    words = LANGUAGES.get(code)
    return pick(words, lang) if words else code


HOLIDAY_NAMES: dict[str, Text] = {
    "khmer_new_year": text("Khmer New Year", "បុណ្យចូលឆ្នាំខ្មែរ"),
    "pchum_ben": text("Pchum Ben", "បុណ្យភ្ជុំបិណ្ឌ"),
    "water_festival": text("the Water Festival", "បុណ្យអុំទូក"),
}

WEEKDAYS: tuple[Text, ...] = (
    text("Monday", "ថ្ងៃច័ន្ទ"),
    text("Tuesday", "ថ្ងៃអង្គារ"),
    text("Wednesday", "ថ្ងៃពុធ"),
    text("Thursday", "ថ្ងៃព្រហស្បតិ៍"),
    text("Friday", "ថ្ងៃសុក្រ"),
    text("Saturday", "ថ្ងៃសៅរ៍"),
    text("Sunday", "ថ្ងៃអាទិត្យ"),
)

# The groups attendance and RSVPs are counted by.
GROUPS: dict[str, Text] = {
    "total": text("everyone present", "អ្នកចូលរួមសរុប"),
    "people": text("the number of people", "ចំនួនមនុស្ស"),
    "in_person": text("in person", "អ្នកចូលរួមផ្ទាល់"),
    "remote": text("remote", "អ្នកចូលរួមពីចម្ងាយ"),
    "women": text("women", "ស្ត្រី"),
    "men": text("men", "បុរស"),
    "disability": text("people with disabilities", "ជនមានពិការភាព"),
    "idpoor": text("IDPoor household members", "សមាជិកគ្រួសារក្រីក្រ (IDPoor)"),
    "indigenous": text("indigenous people", "ជនជាតិដើមភាគតិច"),
    "migrant": text("migrant workers", "ពលករចំណាកស្រុក"),
    "youth": text("young people", "យុវជន"),
    "council_present": text("council members present", "សមាជិកក្រុមប្រឹក្សាដែលមានវត្តមាន"),
    "council_total": text("council members", "សមាជិកក្រុមប្រឹក្សាសរុប"),
}
